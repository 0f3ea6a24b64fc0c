"""While the index is rebuilt, the database fallback filters, counts facets and sorts as the index does."""

from typing import Any

import pytest
from sqlalchemy import Engine

from catalog.indexing.fallback import database_search
from catalog.listings.search import FIELDS
from catalog.settings import Settings
from search_index import SearchIndex, SearchResult
from search_index.schema import SORTS

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"

PUBLIC = ["listed", "publicity"]


def keys(found: SearchResult) -> list[str]:
    return [hit.key for hit in found.hits]


def two_most_common(index: SearchIndex, kind: str, field: str) -> list[str]:
    """The two values of ``field`` most items of ``kind`` hold: a filter of two values matching many."""
    counts = index.search("", kind=kind, filters={"status": PUBLIC}, facets=[field], limit=0).facets
    values = [value for value, _ in counts[field][:2]]
    assert len(values) == 2, counts
    return values


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("kind", ["product", "dataset"])
def test_the_fallback_counts_facets_and_orders_every_sort_as_the_index(
    seeded_engine: Engine, seeded_settings: Settings, kind: str, sort: str
) -> None:
    """Without words both hold every public item (the seed has fewer than ``CANDIDATES``): the same
    filters, among them ``sector`` (several values per item) chosen twice, give the same facet
    counts, the same order — ties included — and the same pages."""
    index = SearchIndex.open(seeded_settings.index_dir, create=False)
    sectors = two_most_common(index, kind, "sector")
    for filters in ({"status": PUBLIC}, {"status": PUBLIC, "sector": sectors}):
        arguments: dict[str, Any] = {
            "kind": kind,
            "filters": filters,
            "facets": list(FIELDS[kind].values()),
            "sort": sort,
        }
        from_index = index.search(**arguments, limit=None)
        from_database = database_search(seeded_engine, **arguments, limit=None)
        assert from_database.total == from_index.total > 0
        assert from_database.facets == from_index.facets
        assert keys(from_database) == keys(from_index)
        page: dict[str, Any] = {**arguments, "offset": 5, "limit": 7}
        assert keys(database_search(seeded_engine, **page)) == keys(index.search(**page))
    index.close()
