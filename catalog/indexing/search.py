"""The public catalog lists, from the index: one search thread per process, and a result cache.

Whoosh searchers are not thread-safe and sharing Starlette's thread pool made them 8× slower
(STACK.md), so searches run on one dedicated thread slot. A page of results — index hits loaded from
the database and labelled — is kept until this process's index changes (a ChangeLog row applied, or a
new generation swapped in), so a popular query costs one dictionary lookup until the catalog changes.

While the index is missing or damaged and being rebuilt, or when a search finds it damaged, pages are
answered from the database instead (``fallback.py``), and not cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from catalog.datasets import services as datasets
from catalog.db import session_scope
from catalog.indexing.fallback import database_search
from catalog.indexing.indexer import Indexer
from catalog.listings.filters import ListingFilters
from catalog.listings.search import index_query
from catalog.pagination import Page
from catalog.permissions import ANONYMOUS
from catalog.products import services as products
from search_index import SearchResult

LISTS: dict[str, Callable[..., Page[Any]]] = {
    "product": products.list_products,
    "dataset": datasets.list_datasets,
}

_Key = tuple[str, bool, str]  # a cached page: its catalog, whether with facets, its filters as JSON


class CatalogSearch:
    """Pages of the public product and dataset catalogs for filters, searched and cached."""

    def __init__(self, indexer: Indexer, engine: Engine, cache_size: int = 512) -> None:
        self.indexer = indexer
        self.engine = engine
        self.limiter = anyio.CapacityLimiter(1)
        self.cache_size = cache_size
        self._cache: OrderedDict[_Key, Page[Any]] = OrderedDict()
        self._cache_state: tuple[str, int] | None = None
        self._cache_lock = threading.Lock()

    async def find(self, kind: str, filters: ListingFilters, *, facets: bool = True) -> SearchResult:
        """What the index holds for ``filters`` in the public ``kind`` catalog (``product``, ``dataset``)."""
        found, _ = await self._find(kind, filters, facets)
        return found

    async def _find(self, kind: str, filters: ListingFilters, facets: bool) -> tuple[SearchResult, bool]:
        return await self.search(**index_query(kind, filters, facets=facets))

    async def search(self, text: str, *, kind: str | None, **arguments: Any) -> tuple[SearchResult, bool]:
        """``SearchIndex.search`` and True, or (the index is being rebuilt) the database's answer and
        False; ``kind`` None searches products and datasets together, as the index does."""
        if self.indexer.problem is None:
            search = partial(self.indexer.index.search, text, kind=kind, **arguments)
            try:
                return await anyio.to_thread.run_sync(search, limiter=self.limiter), True
            except Exception as exc:
                if not await run_in_threadpool(self.indexer.failed, exc):
                    raise  # the index reads back fine: the fault is elsewhere
        if kind is not None:
            return await run_in_threadpool(
                partial(database_search, self.engine, text, kind=kind, **arguments)
            ), False
        return await run_in_threadpool(partial(_both_kinds, self.engine, text, **arguments)), False

    async def page(self, kind: str, filters: ListingFilters, *, facets: bool = True) -> Page[Any]:
        """One page of the public ``kind`` catalog: hits, their summaries, labelled facets."""
        key = (kind, facets, filters.model_dump_json())
        state = self.indexer.state
        cached = self._cached(key, state)
        if cached is not None:
            return cached
        found, from_index = await self._find(kind, filters, facets)
        page = await run_in_threadpool(self._load, kind, filters, found)
        if from_index:
            self._keep(key, state, page)
        else:
            page.from_database = True  # pages say so: no word segmentation, synonyms or scores now
        return page

    def _load(self, kind: str, filters: ListingFilters, found: SearchResult) -> Page[Any]:
        with session_scope(self.engine) as session:
            return LISTS[kind](session, ANONYMOUS, filters, found)

    def _cached(self, key: _Key, state: tuple[str, int]) -> Page[Any] | None:
        with self._cache_lock:
            if state != self._cache_state:
                self._cache.clear()
                self._cache_state = state
                return None
            page = self._cache.get(key)
            if page is not None:
                self._cache.move_to_end(key)
            return page

    def _keep(self, key: _Key, state: tuple[str, int], page: Any) -> None:
        with self._cache_lock:
            if state != self._cache_state or self.cache_size == 0:
                return  # the index changed while this page was built: it may already be stale
            self._cache[key] = page
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


def _both_kinds(
    engine: Engine, text: str, *, offset: int = 0, limit: int | None = None, **arguments: Any
) -> SearchResult:
    """``database_search`` over products and then datasets, as one result (CKAN's package_search)."""
    found = [database_search(engine, text, kind=kind, **arguments) for kind in ("product", "dataset")]
    hits = [hit for result in found for hit in result.hits]
    page = hits[offset:] if limit is None else hits[offset : offset + limit]
    return SearchResult(sum(r.total for r in found), page, query=found[0].query)
