"""Searching the index from the web: one search thread per process, as STACK.md measured."""

from __future__ import annotations

from functools import partial

import anyio
import anyio.to_thread

from catalog.indexing.indexer import Indexer


class CatalogSearch:
    """Runs whoosh searches on one dedicated thread slot (whoosh searchers are not thread-safe)."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer
        self.limiter = anyio.CapacityLimiter(1)

    async def ranked_keys(self, text: str, kind: str) -> list[str] | None:
        """Keys of ``kind`` documents matching ``text``, best first; None when there is no text."""
        if not text or not text.strip():
            return None
        search = partial(self.indexer.index.search, text, kind=kind)
        result = await anyio.to_thread.run_sync(search, limiter=self.limiter)
        return [hit.key for hit in result.hits]
