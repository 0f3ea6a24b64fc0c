"""The indexer: applies ChangeLog rows past the index's recorded sequence number.

It runs after writes, at start-up and on a timer, so a crash between a database commit and the index
write loses nothing: the next run applies what the index has not recorded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from catalog import db
from catalog.datasets import services as datasets
from catalog.datasets.models import Dataset
from catalog.indexing.models import ChangeLog
from catalog.products import services as products
from catalog.products.models import DataProduct
from search_index import SearchIndex

BATCH = 2000
PARALLEL_FROM = 5000  # items; below this, starting writer processes costs more than it saves


def _expand(session: Session, rows: Sequence[ChangeLog]) -> tuple[set[int], set[int]]:
    """The product and dataset ids whose search documents these changes touch."""
    ids: dict[str, set[int]] = {}
    for row in rows:
        ids.setdefault(row.entity, set()).add(row.entity_id)
    orgs, licences, sectors = (
        ids.get("organization", set()),
        ids.get("licence", set()),
        ids.get("sector", set()),
    )
    dataset_ids = ids.get("dataset", set()) | datasets.dataset_ids_for(
        session, provider_ids=list(orgs), sector_ids=list(sectors)
    )
    product_ids = ids.get("product", set()) | products.product_ids_for(
        session,
        provider_ids=list(orgs),
        licence_ids=list(licences),
        sector_ids=list(sectors),
        dataset_ids=list(ids.get("dataset", set())),  # source dataset titles are indexed with products
    )
    return product_ids, dataset_ids


def _documents(session: Session, product_ids: set[int] | None, dataset_ids: set[int] | None):
    pdocs, pgone = products.search_documents(session, None if product_ids is None else sorted(product_ids))
    ddocs, dgone = datasets.search_documents(session, None if dataset_ids is None else sorted(dataset_ids))
    deletes = pgone + dgone
    # ids that no longer exist in the database at all
    if product_ids is not None:
        present = {int(d["id"].split(":")[1]) for d in pdocs} | {int(g.split(":")[1]) for g in pgone}
        deletes += [f"product:{i}" for i in product_ids - present]
    if dataset_ids is not None:
        present = {int(d["id"].split(":")[1]) for d in ddocs} | {int(g.split(":")[1]) for g in dgone}
        deletes += [f"dataset:{i}" for i in dataset_ids - present]
    return pdocs + ddocs, deletes


def read_documents(url: str, product_ids: list[int], dataset_ids: list[int]) -> Iterator[dict]:
    """The search documents of these items (the public ones), read in batches from the database at
    ``url``; runs in an index-building process of its own."""
    engine = db.make_engine(url)
    try:
        yield from _public_documents(engine, product_ids, dataset_ids)
    finally:
        engine.dispose()


def _public_documents(engine: Engine, product_ids: list[int], dataset_ids: list[int]) -> Iterator[dict]:
    with Session(engine) as session:
        for ids, build in (
            (product_ids, products.search_documents),
            (dataset_ids, datasets.search_documents),
        ):
            for start in range(0, len(ids), BATCH):
                docs, _ = build(session, ids[start : start + BATCH])
                yield from docs
                session.expunge_all()


def _share(ids: list[int], parts: int, n: int) -> list[int]:
    """The ``n``th of ``parts`` contiguous, near-equal shares of ``ids``."""
    size = -(-len(ids) // parts)
    return ids[n * size : (n + 1) * size]


def _counting(docs: Iterable[dict], advance: Callable[[int], Any]) -> Iterator[dict]:
    for count, doc in enumerate(docs, 1):
        yield doc
        if count % BATCH == 0:
            advance(BATCH)


class Indexer:
    """Keeps one process's index replica in step with the database's ChangeLog."""

    def __init__(self, engine: Engine, index_root: Path) -> None:
        self.engine = engine
        self.root = index_root
        self.index = SearchIndex.open(index_root)
        self._lock = threading.Lock()

    @property
    def state(self) -> tuple[str, int]:
        """Changes whenever the index this process reads does, whoever wrote to it."""
        return self.index.version()

    def _follow_swap(self) -> None:
        """Reopen the index when another process (``catalog reindex``) swapped in a new generation."""
        current = self.root / "CURRENT"
        if current.exists() and current.read_text(encoding="utf-8").strip() != self.index.generation:
            old, self.index = self.index, SearchIndex.open(self.root)
            old.close()  # a search still holding it reopens its searcher

    def catch_up(self) -> int:
        """Apply every ChangeLog row past the index's sequence number; the number of rows applied."""
        applied = 0
        with self._lock:
            self._follow_swap()
            while True:
                last = self.index.last_applied_seq()
                with Session(self.engine) as session:
                    rows = session.exec(
                        select(ChangeLog).where(ChangeLog.seq > last).order_by(ChangeLog.seq).limit(BATCH)  # type: ignore[operator, arg-type]
                    ).all()
                    if not rows:
                        return applied
                    docs, deletes = _documents(session, *_expand(session, rows))
                self.index.apply(docs, deletes, seq=rows[-1].seq)
                applied += len(rows)

    def rebuild(self, progress: Callable[[int, int], Any] | None = None, procs: int | None = None) -> int:
        """Build a fresh index of every public item beside the old one and swap it in; the doc count.

        ``procs`` processes (default: two for large catalogs on machines with two or more cores) each
        read and index a share of the items; ``progress(done, total)`` is told of items as they are
        done, against the size of the job.
        """
        with self._lock:
            with Session(self.engine) as session:
                seq = session.exec(select(func.coalesce(func.max(ChangeLog.seq), 0))).one()
                product_ids = list(session.exec(select(DataProduct.id).order_by(DataProduct.id)))  # type: ignore[arg-type]
                dataset_ids = list(session.exec(select(Dataset.id).order_by(Dataset.id)))  # type: ignore[arg-type]
            total = len(product_ids) + len(dataset_ids)
            if procs is None:
                procs = 2 if total >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1
            told = 0

            def advance(done: int) -> None:
                nonlocal told
                told += done
                if progress:
                    progress(done, total)

            old = self.index
            if procs > 1:
                url = self.engine.url.render_as_string(hide_password=False)
                shares = [
                    partial(read_documents, url, _share(product_ids, procs, n), _share(dataset_ids, procs, n))
                    for n in range(procs)
                ]
                self.index = old.rebuild(seq=seq, parts=shares, progress=advance)
            else:
                docs = _public_documents(self.engine, product_ids, dataset_ids)
                self.index = old.rebuild(_counting(docs, advance), seq=seq)
            old.close()
            if progress and total > told:
                progress(total - told, total)  # items that had no public document
            return self.index.doc_count()

    def status(self) -> dict[str, Any]:
        """Index health: documents held, sequence applied, and how far behind the database it is."""
        with Session(self.engine) as session:
            latest = session.exec(select(func.coalesce(func.max(ChangeLog.seq), 0))).one()
        applied = self.index.last_applied_seq()
        return {
            "status": "ok",
            "generation": self.index.generation,
            "documents": self.index.doc_count(),
            "applied_seq": applied,
            "latest_seq": latest,
            "lag": max(0, latest - applied),
        }
