"""Search from the database, for the minutes a missing or damaged index is being rebuilt.

It takes the arguments of ``SearchIndex.search`` and answers the same way, less well: the newest
``CANDIDATES`` public items whose titles or summaries contain every word of the query (no word
segmentation, pinyin, synonyms or scores), their search documents filtered, counted and sorted by
the index's own code (``search_index.columns.Columns``). Slower than the index and never cached;
enough that no page is empty or fails while the index comes back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Engine, or_
from sqlmodel import Session, select

from catalog.datasets import services as datasets
from catalog.datasets.models import Dataset
from catalog.products import services as products
from catalog.products.models import DataProduct
from search_index import SearchHit, SearchResult
from search_index.columns import Columns, checked_filters
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
    chosen = checked_filters(filters, facets, sort)
    words = query_words(text)
    query = select(model.id)
    if "status" in chosen:
        query = query.where(model.status.in_(chosen["status"]))
    for word in words:
        query = query.where(or_(*(getattr(model, c).icontains(word, autoescape=True) for c in columns)))
    # NULLs (items in publicity) last on every engine: PostgreSQL would sort them first
    newest = model.listed_at.desc().nulls_last()
    query = query.order_by(newest, model.id.desc()).limit(CANDIDATES)
    with Session(engine) as session:
        docs, _ = service.search_documents(session, list(session.exec(query)))
    # numbered as a rebuilt index numbers them, by id: the later document wins a tie in either
    docs.sort(key=lambda doc: int(doc["id"].rpartition(":")[2]))
    found = Columns.of(docs)
    passing, counts = found.select(np.ones(found.size, dtype=bool), chosen, facets)
    scores = _whole_title_matches(docs, words) if words and sort == "relevance" else None
    hits = [SearchHit(kind, found.keys[doc], 0.0) for doc in found.page(passing, sort, offset, limit, scores)]
    return SearchResult(int(passing.sum()), hits, counts, query=clean_query(text))


def _whole_title_matches(docs: Sequence[Mapping[str, Any]], words: Sequence[str]) -> np.ndarray:
    """Relevance without an index: 1 for the documents whose title holds every word, else 0."""
    lowered = [word.lower() for word in words]
    titles = [(doc.get("title") or "").lower() for doc in docs]
    return np.array([all(word in title for word in lowered) for title in titles], dtype=np.float64)
