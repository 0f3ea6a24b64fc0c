"""Search from the database, for the minutes a missing or damaged index is being rebuilt.

It takes the arguments of ``SearchIndex.search`` and answers the same way, less well: the newest
``CANDIDATES`` public items whose titles or summaries contain every word of the query (no word
segmentation, pinyin, synonyms or scores), with the filters, facet counts and sorts computed over
their search documents. Slower than the index and never cached; enough that no page is empty or
fails while the index comes back.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, or_
from sqlmodel import Session, select

from catalog.datasets import services as datasets
from catalog.datasets.models import Dataset
from catalog.products import services as products
from catalog.products.models import DataProduct
from search_index import SearchHit, SearchResult
from search_index.index import clean_query

CANDIDATES = 500  # newest matches read from the database per search

TABLES: dict[str, tuple[Any, tuple[str, ...], Any]] = {
    "product": (DataProduct, ("title", "title_en", "summary", "summary_en", "listing_no"), products),
    "dataset": (Dataset, ("title", "title_en", "description", "description_en", "code"), datasets),
}
OPERATORS = {"AND", "OR", "NOT"}


def query_words(text: str) -> list[str]:
    """The plain words of a query: syntax (quotes, brackets, operators, ``field:``) left out."""
    words = []
    for word in re.split(r"[\s\"'()]+", clean_query(text)):
        word = word.rsplit(":", 1)[-1].strip("*?~^")
        if word and word not in OPERATORS:
            words.append(word)
    return words


def database_search(
    engine: Engine,
    text: str = "",
    *,
    kind: str,
    filters: Mapping[str, Sequence[str]] | None = None,
    facets: Sequence[str] = (),
    sort: str = "relevance",
    offset: int = 0,
    limit: int | None = 20,
) -> SearchResult:
    """What the index would answer for ``SearchIndex.search`` arguments, found in the database."""
    model, columns, service = TABLES[kind]
    wanted = {name: set(values) for name, values in (filters or {}).items() if values}
    words = query_words(text)
    query = select(model.id)
    if "status" in wanted:
        query = query.where(model.status.in_(wanted["status"]))
    for word in words:
        query = query.where(or_(*(getattr(model, c).icontains(word, autoescape=True) for c in columns)))
    # NULLs (items in publicity) last on every engine: PostgreSQL would sort them first
    newest = model.listed_at.desc().nulls_last()
    query = query.order_by(newest, model.id.desc()).limit(CANDIDATES)
    with Session(engine) as session:
        docs, _ = service.search_documents(session, list(session.exec(query)))
    passing = [d for d in docs if _passes(d, wanted)]
    counts = {name: _facet(docs, name, wanted) for name in facets}
    ordered = _sort(passing, sort, words)
    page = ordered[offset:] if limit is None else ordered[offset : offset + limit]
    hits = [SearchHit(kind, doc["key"], 0.0) for doc in page]
    return SearchResult(len(passing), hits, counts, query=clean_query(text))


def _values(doc: Mapping[str, Any], name: str) -> set[str]:
    value = doc.get(name)
    if value is None or value == "":
        return set()
    return {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}


def _passes(doc: Mapping[str, Any], filters: Mapping[str, set[str]], but: str | None = None) -> bool:
    return all(name == but or _values(doc, name) & values for name, values in filters.items())


def _facet(docs: list[dict[str, Any]], name: str, filters: Mapping[str, set[str]]) -> list[tuple[str, int]]:
    """Counts per value of ``name`` over the documents passing every filter but its own, as the index."""
    counts = Counter(v for d in docs if _passes(d, filters, but=name) for v in _values(d, name))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _sort(docs: list[dict[str, Any]], sort: str, words: list[str]) -> list[dict[str, Any]]:
    def listed(doc: dict[str, Any]) -> float:
        return doc["listed_at"].timestamp() if doc.get("listed_at") else 0.0

    newest = sorted(docs, key=listed, reverse=True)
    if sort == "oldest":
        return newest[::-1]
    if sort == "title":
        return sorted(newest, key=lambda d: d.get("title") or "")
    if sort in ("requests", "quality"):
        return sorted(newest, key=lambda d: d.get(sort) or 0, reverse=True)
    if sort == "relevance" and words:  # titles holding every word first
        lowered = [w.lower() for w in words]
        return sorted(newest, key=lambda d: not all(w in (d.get("title") or "").lower() for w in lowered))
    return newest
