"""The columns of a plain list of documents are filtered, counted and sorted by the index's own code."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from search_index import SearchIndex
from search_index.columns import Columns, checked_filters
from search_index.schema import SORTS

# ties everywhere: listing days, titles, request counts; sectors of one, two or no values
DOCS = [
    {
        "id": f"product:{n}",
        "kind": "product",
        "key": f"p{n}",
        "title": title,
        "sector": sectors,
        "provider_id": provider,
        "requests": requests,
        "quality": quality,
        "listed_at": dt.datetime(2025, 1, day) if day else None,
    }
    for n, title, sectors, provider, requests, quality, day in [
        (1, "公交客流", ["transport"], "jkzs", 3, 80, 5),
        (2, "企业用电", ["industry", "finance"], "sjgyy", 3, 60, 5),
        (3, "公交客流", ["transport", "industry"], "jkzs", 0, 80, 7),
        (4, "Bus network", [], "sjj", 9, 0, None),
        (5, "12345热线", ["government"], "sjj", 0, 60, 7),
        (6, "龙虾价格", ["finance"], "nxsj", 1, 90, None),
    ]
]
FACETS = ["sector", "provider_id"]


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    index = SearchIndex.open(tmp_path / "index")
    index.upsert(DOCS, seq=1)
    return index


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("filters", [{}, {"sector": ["transport", "finance"]}, {"provider_id": ["sjj"]}])
def test_a_list_of_documents_counts_and_orders_as_the_index(
    index: SearchIndex, sort: str, filters: dict[str, list[str]]
) -> None:
    columns = Columns.of(DOCS)
    passing, counts = columns.select(np.ones(columns.size, dtype=bool), filters, FACETS)
    found = index.search("", filters=filters, facets=FACETS, sort=sort, limit=None)
    assert counts == found.facets
    assert [columns.keys[doc] for doc in columns.page(passing, sort, 0, None)] == [h.key for h in found.hits]
    assert [columns.keys[doc] for doc in columns.page(passing, sort, 1, 2)] == [
        h.key for h in index.search("", filters=filters, sort=sort, offset=1, limit=2).hits
    ]


def test_relevance_orders_by_the_scores_given_then_newest() -> None:
    columns = Columns.of(DOCS)
    scores = np.array([0, 1, 0, 1, 0, 0], dtype=np.float64)
    order = columns.page(np.ones(columns.size, dtype=bool), "relevance", 0, None, scores)
    assert [columns.keys[doc] for doc in order] == ["p2", "p4", "p5", "p3", "p1", "p6"]


@pytest.mark.parametrize(
    ("filters", "facets", "sort"),
    [({"owner": ["x"]}, [], "newest"), ({}, ["owner"], "newest"), ({}, [], "cheapest")],
)
def test_unknown_filters_facets_and_sorts_are_refused(
    filters: dict[str, list[str]], facets: list[str], sort: str
) -> None:
    with pytest.raises(ValueError, match="unknown"):
        checked_filters(filters, facets, sort)
