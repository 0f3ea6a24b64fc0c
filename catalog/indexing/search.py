"""Searching the index from the web: one search thread per process, as STACK.md measured."""

from __future__ import annotations

from functools import partial

import anyio
import anyio.to_thread

from catalog.indexing.indexer import Indexer
from catalog.listings.filters import ListingFilters
from catalog.listings.search import index_query
from search_index import SearchResult


class CatalogSearch:
    """Runs whoosh searches on one dedicated thread slot (whoosh searchers are not thread-safe)."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer
        self.limiter = anyio.CapacityLimiter(1)

    async def find(self, kind: str, filters: ListingFilters, *, facets: bool = True) -> SearchResult:
        """One page of the public ``kind`` catalog (``product`` or ``dataset``) for ``filters``."""
        search = partial(self.indexer.index.search, **index_query(kind, filters, facets=facets))
        return await anyio.to_thread.run_sync(search, limiter=self.limiter)
