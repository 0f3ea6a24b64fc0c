"""User text to queries: cleaning, tolerant parsing, synonym expansion, unscored matching, suggestions.

User text is never a syntax error. Text the parser rejects is retried without its syntax characters,
and dangling operators (``OR 公交``, ``公交 AND``) are dropped before parsing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import reduce
from typing import Any

from pypinyin import lazy_pinyin
from whoosh.qparser import MultifieldParser
from whoosh.query import And, AndMaybe, AndNot, Every, Not, NullQuery, Or, Query, Require, Term
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from search_index.synonyms import synonym_map

MAX_QUERY_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BINARY = r"(?:AND|OR|ANDNOT|ANDMAYBE)"
_DANGLING = re.compile(rf"^(?:\s*{_BINARY}\b\s*)+|(?:\s*\b(?:{_BINARY}|NOT))+\s*$")
_SYNTAX = re.compile(r"[()\[\]{}:^~*?\"'+\-!/\\<>=]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b")
_HAN = re.compile(r"[\u3400-\u9fff]")


def clean_query(text: str) -> str:
    """Normalize user text: NFKC, no control characters, bounded length, no dangling operators."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _CONTROL.sub(" ", text)[:MAX_QUERY_CHARS]
    return _DANGLING.sub(" ", text).strip()


class QueryParser:
    """Parses cleaned user text against the searched fields, expanding domain synonyms."""

    def __init__(self, fields: Iterable[str], schema) -> None:
        self._parser = MultifieldParser(list(fields), schema)
        self._synonyms = synonym_map()

    def parse(self, text: str) -> tuple[Query | None, bool]:
        """The query for ``text`` and whether it had to be simplified (syntax the parser rejected)."""
        if not text:
            return None, False
        simplified = False
        try:
            query = self._parser.parse(text)
        except Exception:  # whoosh raises many types on odd input; fall back to plain words
            query, simplified = self._parser.parse(_SYNTAX.sub(" ", text)), True
        if query is None or query is NullQuery:
            return None, simplified
        return query.accept(self._expand), simplified

    def _expand(self, query: Query) -> Query:
        if isinstance(query, Term) and isinstance(query.text, str) and query.text in self._synonyms:
            words = self._synonyms[query.text]
            return Or([Term(query.fieldname, w, boost=query.boost) for w in words])
        return query


def matching_docs(query: Query, searcher: Searcher, universe: set[int]) -> set[int]:
    """The document numbers ``query`` matches among ``universe``, without scoring.

    Boolean structure is evaluated with set operations over posting lists, which is several times
    cheaper than walking whoosh's scoring matchers for words that match many documents.
    """
    for kinds, evaluate in _EVALUATORS:
        if isinstance(query, kinds):
            return evaluate(query, searcher, universe)
    if query is NullQuery:
        return set()
    return set(query.docs(searcher)) & universe  # phrases, prefixes, wildcards, ranges


def _term(query: Term, searcher: Searcher, universe: set[int]) -> set[int]:
    try:
        return set(searcher.postings(query.fieldname, query.text).all_ids()) & universe
    except Exception:  # TermNotFound, or a field the index does not have
        return set()


def _and(query: And | Require, searcher: Searcher, universe: set[int]) -> set[int]:
    result = universe
    for part in sorted(query.children(), key=lambda q: not isinstance(q, Term)):
        result = matching_docs(part, searcher, result)
        if not result:
            break
    return result


def _or(query: Or, searcher: Searcher, universe: set[int]) -> set[int]:
    return reduce(set.union, (matching_docs(q, searcher, universe) for q in query.children()), set())


_EVALUATORS: tuple[tuple[type | tuple[type, ...], Callable[[Any, Searcher, set[int]], set[int]]], ...] = (
    (Term, _term),
    ((And, Require), _and),
    (Or, _or),
    (AndNot, lambda q, s, u: matching_docs(q.a, s, u) - matching_docs(q.b, s, u)),
    (AndMaybe, lambda q, s, u: matching_docs(q.a, s, u)),
    (Not, lambda q, s, u: u - matching_docs(q.query, s, u)),
    (Every, lambda q, s, u: set(u)),
)


def suggest(text: str, words: list[str], reader: IndexReader, fields: Iterable[str]) -> str | None:
    """A corrected query for a query with no hits: each word the index lacks is replaced by the most
    frequent indexed word within a small edit distance, preferring one that sounds the same (the
    usual typo of pinyin input methods: 交同 for 交通)."""
    fields = list(fields)
    corrected = text
    changed = False
    for word in words:
        if any((field, word) in reader for field in fields):
            continue
        best = _closest(word, reader, fields)
        if best and best != word:
            corrected = corrected.replace(word, best, 1)
            changed = True
    return corrected if changed else None


def _closest(word: str, reader: IndexReader, fields: list[str]) -> str | None:
    maxdist = 1 if len(word) <= 4 else 2
    sound = "".join(lazy_pinyin(word)) if _HAN.search(word) else None
    ranked: list[tuple[bool, int, str]] = []
    for field in fields:
        for candidate in reader.terms_within(field, word, maxdist):
            if _HAN.search(word) and not _HAN.search(candidate):
                continue
            homophone = sound is not None and "".join(lazy_pinyin(candidate)) == sound
            ranked.append((homophone, reader.doc_frequency(field, candidate), candidate))
    return max(ranked)[2] if ranked else None
