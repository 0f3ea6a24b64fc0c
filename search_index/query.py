"""User text to queries: cleaning, tolerant parsing, synonym expansion, unscored matching, suggestions.

User text is never a syntax error. Text the parser rejects is retried without its syntax characters,
and dangling operators (``OR 公交``, ``公交 AND``) are dropped before parsing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import reduce

import numpy as np
from whoosh.fields import Schema
from whoosh.qparser import MultifieldParser
from whoosh.query import And, AndMaybe, AndNot, Every, Not, NullQuery, Or, Phrase, Query, Require, Term
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from search_index.analysis import split_word, syllables
from search_index.columns import View
from search_index.synonyms import synonym_map

MAX_QUERY_CHARS = 200
MAX_SUGGEST_WORDS = 3  # words "did you mean" tries to correct
MAX_SUGGEST_WORD = 20  # characters; longer words are not corrected
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

    def __init__(self, fields: Iterable[str], schema: Schema) -> None:
        self._parser = MultifieldParser(list(fields), schema)
        self._synonyms = synonym_map()
        self._positional = {name for name in fields if schema[name].format.supports("positions")}

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
        if isinstance(query, Phrase) and query.fieldname not in self._positional:
            return NullQuery  # a field without word positions cannot tell a phrase from scattered words
        if isinstance(query, Term) and isinstance(query.text, str) and query.text in self._synonyms:
            words = self._synonyms[query.text]
            return Or([Term(query.fieldname, w, boost=query.boost) for w in words])
        return query


class Evaluation:
    """Evaluates a parsed query over a view's arrays: which documents match, and how well.

    Boolean structure becomes mask arithmetic over cached posting lists. Each positive word (not under
    a NOT) adds its field's boost times the word's rarity (BM25's idf) to the documents holding it, so
    a document scores by how many of the query's words it holds, in how important fields, weighted by
    how rare they are. Term frequency and length are left out: catalog texts are short, and this way
    scoring costs one array addition per word and field however many documents match.
    """

    def __init__(self, view: View, searcher: Searcher, boosts: dict[str, float], universe: np.ndarray):
        self.view, self.searcher, self.boosts = view, searcher, boosts
        self.documents = max(1, int(universe.sum()))
        self.scores = np.zeros(view.size, dtype=np.float64)

    def mask(self, query: Query, positive: bool = True) -> np.ndarray:
        view = self.view
        if isinstance(query, Term):
            return self._leaf(query.fieldname, view.term_ids(query.fieldname, query.text), positive)
        if isinstance(query, And | Require):
            return reduce(np.logical_and, (self.mask(q, positive) for q in query.children()))
        if isinstance(query, Or):
            found: np.ndarray = reduce(np.logical_or, (self.mask(q, positive) for q in query.children()))
            one = _one_word(query)
            if one and not found.any() and (pieces := split_word(one[0])):
                # no document holds the query's word as a word: try its parts (交易价格 -> 交易 价格)
                parts = And([Or([Term(f, piece, boost=b) for f, b in one[1]]) for piece in pieces])
                return self.mask(parts, positive)
            return found
        if isinstance(query, AndNot):
            kept: np.ndarray = self.mask(query.a, positive) & ~self.mask(query.b, not positive)
            return kept
        if isinstance(query, AndMaybe):
            return self.mask(query.a, positive)
        if isinstance(query, Not):
            return ~self.mask(query.query, not positive)
        if isinstance(query, Every):
            return np.ones(view.size, dtype=bool)
        if query is NullQuery:
            return np.zeros(view.size, dtype=bool)
        # phrases, prefixes, wildcards, ranges: whoosh finds their documents, once per view
        ids = view.cached(query, lambda: np.fromiter(query.docs(self.searcher), dtype=np.int64))
        return self._leaf(getattr(query, "fieldname", None), ids, positive)

    def _leaf(self, field: str | None, ids: np.ndarray, positive: bool) -> np.ndarray:
        if positive and len(ids):
            rarity = math.log(1 + (self.documents - len(ids) + 0.5) / (len(ids) + 0.5))
            self.scores[ids] += self.boosts.get(field or "", 1.0) * max(rarity, 0.05)
        return self.view.mask(ids)


def _one_word(query: Or) -> tuple[str, list[tuple[str, float]]] | None:
    """The word of a query that looks for one Chinese word of three or more characters in each field
    (and for its pinyin in the pinyin field), with the fields and boosts it looks in."""
    children = list(query.children())
    if not all(isinstance(c, Term) and isinstance(c.text, str) for c in children):
        return None
    chinese = [c for c in children if _HAN.search(c.text)]
    texts = {c.text for c in chinese}
    if len(texts) != 1 or len(next(iter(texts))) < 3:
        return None
    return next(iter(texts)), [(c.fieldname, c.boost) for c in chinese]


def suggest(text: str, words: list[str], reader: IndexReader, fields: Iterable[str]) -> str | None:
    """A corrected query for a query with no hits: each word the index lacks is replaced by the most
    frequent indexed word within a small edit distance, preferring one that sounds the same (the
    usual typo of pinyin input methods: 交同 for 交通)."""
    fields = list(fields)
    corrected = text
    changed = False
    # bounded work: a long query of nonsense must not hold the search thread
    for word in [w for w in words if 2 <= len(w) <= MAX_SUGGEST_WORD][:MAX_SUGGEST_WORDS]:
        if any((field, word) in reader for field in fields):
            continue
        best = _closest(word, reader, fields)
        if best and best != word:
            corrected = corrected.replace(word, best, 1)
            changed = True
    return corrected if changed else None


def _closest(word: str, reader: IndexReader, fields: list[str]) -> str | None:
    maxdist = 1 if len(word) <= 4 else 2
    sound = "".join(syllables(word)) if _HAN.search(word) else None
    ranked: list[tuple[bool, int, str]] = []
    for field in fields:
        # candidates share the first character: the lexicon walk stays within one branch
        for candidate in reader.terms_within(field, word, maxdist, prefix=1):
            if _HAN.search(word) and not _HAN.search(candidate):
                continue
            homophone = sound is not None and "".join(syllables(candidate)) == sound
            ranked.append((homophone, reader.doc_frequency(field, candidate), candidate))
    return max(ranked)[2] if ranked else None
