"""The indexer: applies ChangeLog rows past the index's recorded sequence number.

It runs after writes, at start-up and on a timer, so a crash between a database commit and the index
write loses nothing: the next run applies what the index has not recorded.

One process per node writes the index: the one holding the writer lock (``lock.py``). A server keeps
the role once it has it; the other workers of ``catalog serve --workers N`` read what it commits (a
whoosh searcher sees every new commit), follow the generations it swaps in, wait for it to apply
their own writes, and take the role over when it dies. The writer of a server also repairs: an index
found missing or damaged — at start-up, by a search that fails, or on the timer — is rebuilt in the
background, and searches are answered from the database meanwhile (``fallback.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from catalog import db
from catalog.datasets import services as datasets
from catalog.datasets.models import Dataset
from catalog.indexing.lock import WriterLock
from catalog.indexing.models import ChangeLog
from catalog.indexing.queries import newest_change
from catalog.listings.states import public_sql
from catalog.products import services as products
from catalog.products.models import DataProduct
from search_index import SearchIndex
from search_index.index import IndexDamaged, IndexMissing

log = logging.getLogger("catalog.indexing")

BATCH = 2000
PARALLEL_FROM = 5000  # items; below this, starting writer processes costs more than it saves
WAIT_SECONDS = 10.0  # longest a process that is not the writer waits for it to apply a change
RETRY_SECONDS = 30.0  # before trying again a rebuild that failed
VERIFY_PAUSE_SECONDS = 30.0  # between two whole read-backs of the index asked for by failing searches


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


def _documents(
    session: Session, product_ids: set[int] | None, dataset_ids: set[int] | None
) -> tuple[list[dict[str, Any]], list[str]]:
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


def read_documents(url: str, product_ids: list[int], dataset_ids: list[int]) -> Iterator[dict[str, Any]]:
    """The search documents of these items (the public ones), read in batches from the database at
    ``url``; runs in an index-building process of its own."""
    engine = db.make_engine(url)
    try:
        yield from _public_documents(engine, product_ids, dataset_ids)
    finally:
        engine.dispose()


def _public_documents(
    engine: Engine, product_ids: list[int], dataset_ids: list[int]
) -> Iterator[dict[str, Any]]:
    with Session(engine) as session:
        for ids, build in (
            (product_ids, products.search_documents),
            (dataset_ids, datasets.search_documents),
        ):
            for start in range(0, len(ids), BATCH):
                docs, _ = build(session, ids[start : start + BATCH])
                yield from docs
                session.expunge_all()


def _ids(session: Session, model: type[DataProduct] | type[Dataset]) -> list[int]:
    """Every row's id, in order."""
    ids = session.exec(select(model.id).order_by(col(model.id)))
    return [id_ for id_ in ids if id_ is not None]  # primary keys: typed int | None, never NULL


def _share(ids: list[int], parts: int, n: int) -> list[int]:
    """The ``n``th of ``parts`` contiguous, near-equal shares of ``ids``."""
    size = -(-len(ids) // parts)
    return ids[n * size : (n + 1) * size]


def _counting(docs: Iterable[dict[str, Any]], advance: Callable[[int], Any]) -> Iterator[dict[str, Any]]:
    for count, doc in enumerate(docs, 1):
        yield doc
        if count % BATCH == 0:
            advance(BATCH)


class RebuildStopped(Exception):
    """A background rebuild gave up because its server is stopping."""


class Indexer:
    """Keeps one process's index replica in step with the database's ChangeLog."""

    def __init__(self, engine: Engine, index_root: Path, *, wait_seconds: float = WAIT_SECONDS) -> None:
        self.engine = engine
        self.root = index_root
        self.writer = WriterLock.for_index(index_root)
        # written by a writer while it rebuilds in the background: the other workers report it, and do
        # not wait for changes to be applied meanwhile; a writer that takes over finishes the job
        self.marker = index_root.with_name(index_root.name + ".rebuilding")
        self.wait_seconds = wait_seconds
        self.serving = False  # set by ``start``: keep the writer role, repair in the background
        self.problem: str | None = None  # why the index cannot be searched: it is being rebuilt
        self.rebuild_progress: dict[str, Any] | None = None
        self.rebuild_error: str | None = None
        self._rebuilder: threading.Thread | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()  # one catch-up or rebuild at a time in this process
        self._swap_lock = threading.RLock()  # one change of ``self.index`` at a time
        self._verify_lock = threading.Lock()  # one full read of the index at a time
        self._verifier: threading.Thread | None = None
        self.verified: tuple[str, int] | None = None  # the last index version read back whole
        self.damaged: tuple[str, int] | None = None  # the last one found damaged: never reopened
        self._verified_at = -VERIFY_PAUSE_SECONDS
        self.index = self._open()

    def _open(self) -> SearchIndex:
        """The live generation, or (noting the problem) an empty index in memory to search meanwhile."""
        try:
            index = SearchIndex.open(self.root, create=False)
        except IndexMissing:
            self.problem = "missing"
        except IndexDamaged as exc:
            self.problem = f"damaged: {exc}"
        else:
            self.problem = None
            return index
        return SearchIndex.empty(self.root)

    @property
    def state(self) -> tuple[str, int]:
        """Changes whenever the index this process reads does, whoever wrote to it."""
        try:
            return self.index.version()
        except OSError:  # its folder went: find out what is there now
            self._follow()
            return self.index.version() if self.problem is None else ("", -1)

    # --- following and repairing ---------------------------------------------------------------
    def _follow(self) -> None:
        """Open the generation ``CURRENT`` names when this process reads another one (a rebuild here or
        in another process swapped it in), or note that the index has gone or is damaged."""
        if self._rebuilder is not None and self._rebuilder.is_alive():
            return  # this process is building the next generation
        with self._swap_lock:
            try:
                current = SearchIndex.live_generation(self.root)
                if current == self.index.generation and self.problem is None:
                    return
                index = SearchIndex.open(self.root, create=False)
                if self.problem is not None and index.version() == self.damaged:
                    index.close()  # what was found damaged, as it was: the writer is rebuilding it
                    return
                if self.problem is not None:
                    index.check()  # coming back from a problem: trust only what reads back
            except IndexMissing:
                self._broken("missing")
            except IndexDamaged as exc:
                self._broken(f"damaged: {exc}")
            else:
                old, self.index, self.problem = self.index, index, None
                old.close()  # a search still holding it reopens its searcher

    def _broken(self, problem: str) -> None:
        """Stop searching the index (searches go to the database); the writer will rebuild it."""
        with self._swap_lock:
            if self.problem is None:
                log.warning("search index %s is %s: searching the database meanwhile", self.root, problem)
                old, self.index = self.index, SearchIndex.empty(self.root)
                old.close()
            self.problem = problem
        if self.serving and self.writer.held:
            self._repair()

    def failed(self, exc: BaseException) -> bool:
        """A search raised ``exc``: whether the index is at fault (then it is being repaired). The index
        is read back whole once per version: a fault elsewhere does not make every search read it."""
        self._follow()
        self._verify(pause=VERIFY_PAUSE_SECONDS)
        if self.problem is not None and self.serving and self.writer.acquire():
            self._repair()  # the writer had died: this process takes its role over
        return self.problem is not None

    def _verify(self, stop: Callable[[], bool] = lambda: False, pause: float = 0.0) -> None:
        """Read the whole index back (``SearchIndex.verify``) unless this version was, or another read
        ended less than ``pause`` seconds ago; damage found stops searches on that version, and the
        node's writer rebuilds it (this process, or the one the marker tells)."""
        with self._verify_lock:
            index = self.index
            if self.problem is not None or index.version() == self.verified:
                return
            if time.monotonic() < self._verified_at + pause:
                return  # a fault that is not the index's must not make every search read it all
            try:
                version = index.version()
                whole = index.verify(stop)
            except IndexDamaged as damage:
                if index is self.index:
                    self.damaged = version
                    self._broken(f"damaged: {damage}")
                    if not self.writer.held:  # tell the writer, whose timer rebuilds what it names
                        with contextlib.suppress(OSError):
                            self.marker.write_text(self.problem or "damaged", encoding="utf-8")
                return
            except OSError:  # its folder went while it was read: find out what is there now
                self._follow()
                return
            finally:
                self._verified_at = time.monotonic()
            if whole:
                self.verified = version

    def _verify_in_background(self) -> None:
        """A writer's start-up: read the index back whole beside the searches (it may take a minute on a
        large catalog; ``start`` only checks what opening it reads), and rebuild it if it is damaged."""

        def stop() -> bool:
            time.sleep(0.001)  # searches first: this is housekeeping
            return not self.serving

        def run() -> None:
            try:
                self._verify(stop)
            except Exception:
                log.exception("reading search index %s back failed", self.root)

        self._verifier = threading.Thread(target=run, name="index-verify", daemon=True)
        self._verifier.start()

    def _repair(self) -> None:
        """Start rebuilding the index in the background, unless that is under way or failed just now."""
        if (self._rebuilder is not None and self._rebuilder.is_alive()) or time.monotonic() < self._retry_at:
            return
        self._rebuilder = threading.Thread(
            target=self._rebuild_in_background, name="index-rebuild", daemon=True
        )
        self._rebuilder.start()

    def _rebuild_in_background(self) -> None:
        started = time.monotonic()
        self.rebuild_progress = {"done": 0, "total": 0, "started_at": dt.datetime.now(dt.UTC).isoformat()}

        def progress(done: int, total: int) -> None:
            if not self.serving:  # the server is stopping: give up (the next start begins again)
                raise RebuildStopped
            self.rebuild_progress = {**(self.rebuild_progress or {}), "total": total}
            self.rebuild_progress["done"] += done

        log.warning("rebuilding search index %s from the database (%s)", self.root, self.problem)
        with contextlib.suppress(OSError):
            self.marker.write_text(self.problem or "rebuilding", encoding="utf-8")
        try:
            count = self.rebuild(progress)
        except RebuildStopped:
            return
        except Exception as exc:
            self.rebuild_error = f"{type(exc).__name__}: {exc}"[:300]
            self._retry_at = time.monotonic() + RETRY_SECONDS
            log.exception("rebuilding search index %s failed; trying again in %d s", self.root, RETRY_SECONDS)
            return
        finally:
            self.rebuild_progress = None
            if not self.serving:  # the server stopped meanwhile: the role goes back
                self.writer.release()
        self.rebuild_error = None
        seconds = time.monotonic() - started
        log.warning("search index %s rebuilt: %d items in %.1f s", self.root, count, seconds)
        if self.serving:
            self._apply_safely()  # what was committed while it was built

    # --- roles -----------------------------------------------------------------------------------
    def start(self) -> None:
        """A server's start-up: take the writer role if it is free and keep it; as the writer, check
        the index and catch up, or start rebuilding it in the background."""
        self.serving = True
        if self.problem == "missing" and self.latest_seq() == 0 and self.writer.acquire():
            self._fix_now()  # a new catalog: its empty index is all there is to build
        self.refresh()
        if self.writer.held and self.problem is None:
            problem, compared = self._out_of_step()
            if problem:
                self._broken(problem)  # and rebuilt
            else:
                if compared:
                    self._mark_if_unmarked()
                self._verify_in_background()

    def refresh(self) -> int:
        """A server's timer: follow what the writer did; take the role over if nobody holds it; as the
        writer, repair the index or apply new ChangeLog rows. The number of rows applied."""
        self._follow()
        if not self.writer.acquire():
            return 0
        unfinished = self._rebuild_left_unfinished() if self.problem is None else None
        if unfinished:
            self._broken(unfinished)  # the writer before this one died rebuilding: finish its job
        if self.problem is not None:
            self._repair()
            return 0
        return self._apply_safely()

    def _rebuild_left_unfinished(self) -> str | None:
        """Why the node's writer is rebuilding the index, or was when it died (None when it is not)."""
        if self._rebuilder is not None and self._rebuilder.is_alive():
            return None
        try:
            return self.marker.read_text(encoding="utf-8").strip() or "rebuilding"
        except OSError:
            return None

    def catch_up(self) -> int:
        """Bring this replica up to the database's newest change (after a write, before answering it):
        apply the ChangeLog as the writer, or wait at most ``wait_seconds`` for the process that is.
        The number of rows applied here."""
        if not self.writer.acquire():
            self._wait_for_writer()
            return 0
        try:
            self._follow()  # an index made or swapped in by another process since this one looked
            if self.problem is not None:
                if self.serving:
                    self._repair()
                    return 0
                self._fix_now()
            if self.serving:
                return self._apply_safely()
            applied = self._apply()
            if self.problem is not None:  # found while applying: the database was replaced
                self._fix_now()
            return applied
        finally:
            if not self.serving:  # a command gives the role back to the servers
                self.writer.release()

    def _fix_now(self) -> None:
        """Outside a server (a command, a test): start a missing index empty, rebuild a damaged one."""
        if self.problem == "missing":
            old, self.index, self.problem = self.index, SearchIndex.open(self.root), None
            old.close()
        else:
            self.rebuild()

    def _wait_for_writer(self) -> None:
        """Wait for the writer to apply the database's newest change, at most ``wait_seconds``."""
        deadline = time.monotonic() + self.wait_seconds
        if self._rebuild_left_unfinished():
            return  # the writer applies it once the rebuild is done
        try:
            latest = self.latest_seq()
            while time.monotonic() < deadline:
                self._follow()
                if self.problem is not None or self.index.last_applied_seq() >= latest:
                    return
                time.sleep(0.02)
            log.warning(
                "the index writer (process %s) did not apply change %d in time", self.writer.holder(), latest
            )
        except Exception:  # the change reaches the index anyway; this is only waiting for it
            log.exception("waiting for the index writer failed")

    def close(self) -> None:
        """Give the writer role back and close the index (a server shutting down): a rebuild under way
        stops at its next progress report, before the server's database connections close."""
        self.serving = False
        for thread in (self._verifier, self._rebuilder):
            if thread is not None:
                thread.join(timeout=self.wait_seconds)
        if self._rebuilder is None or not self._rebuilder.is_alive():  # else it gives the role back
            self.writer.release()
        self.index.close()

    # --- applying --------------------------------------------------------------------------------
    def _apply_safely(self) -> int:
        """``_apply`` for a server: a failure is logged and diagnosed (a damaged index is rebuilt), never
        raised into a request whose write is committed already; the timer tries again."""
        try:
            return self._apply()
        except Exception:
            log.exception("applying the ChangeLog to search index %s failed", self.root)
            self.failed(RuntimeError("apply"))
            return 0

    def _apply(self) -> int:
        """Apply every ChangeLog row past the index's sequence number; the number of rows applied."""
        applied = 0
        if not self._lock.acquire(timeout=self.wait_seconds):
            return 0  # a rebuild holds it: it applies what is new when it ends
        try:
            self._follow()
            while self.problem is None:
                last, mark = self.index.last_applied()
                with Session(self.engine) as session:
                    since = select(ChangeLog).where(col(ChangeLog.seq) >= last)
                    rows = session.exec(since.order_by(col(ChangeLog.seq)).limit(BATCH + 1)).all()
                    if last and mark and (not rows or rows[0].seq != last or rows[0].mark != mark):
                        self._broken(f"replaced: the database's change {last} is not the one indexed")
                        break  # a restored database reuses numbers: only a rebuild is right now
                    rows = [row for row in rows if (row.seq or 0) > last]
                    if not rows:
                        break
                    docs, deletes = _documents(session, *_expand(session, rows))
                self.index.apply(docs, deletes, seq=rows[-1].seq, mark=rows[-1].mark)
                applied += len(rows)
        finally:
            self._lock.release()
        return applied

    def latest_seq(self) -> int:
        """The database's newest ChangeLog sequence number (0 when there is none)."""
        with Session(self.engine) as session:
            return session.exec(select(func.max(col(ChangeLog.seq)))).one() or 0

    def _mark_if_unmarked(self) -> None:
        """An index written before changes were marked: mark the change it applied last, as the database
        has it now, so that a database restored from now on is noticed (see ``_apply``). Only once its
        counts were found equal to the database's at that change: an index left from before a restore
        must not be sealed as right."""
        with self._lock:
            applied, mark = self.index.last_applied()
            if applied == 0 or mark:
                return
            with Session(self.engine) as session:
                row = session.get(ChangeLog, applied)
            if row is not None:
                self.index.apply((), (), seq=applied, mark=row.mark)

    def _out_of_step(self) -> tuple[str | None, bool]:
        """Why the index cannot be trusted although it reads back (None when it can): damage found by
        reading it back, a sequence past the database's (a restored database), or a count of public
        items that differs from the database's at the same sequence; and whether the counts were
        compared (the index had applied the database's newest change)."""
        try:
            self.index.check()
        except IndexDamaged as exc:
            return f"damaged: {exc}", False

        def public(model: Any) -> Any:
            return sa_select(func.count()).where(public_sql(model)).scalar_subquery()

        latest_seq = sa_select(func.coalesce(func.max(ChangeLog.seq), 0)).scalar_subquery()
        with Session(self.engine) as session:  # one statement: one snapshot of all three
            latest, product_count, dataset_count = session.execute(
                sa_select(latest_seq, public(DataProduct), public(Dataset))
            ).one()
        applied = self.index.last_applied_seq()
        if applied > latest:
            return f"ahead of the database (applied {applied}, its newest change is {latest})", False
        if applied < latest:
            return None, False  # changes arrived meanwhile: the counts are not comparable now
        for kind, expected in (("product", product_count), ("dataset", dataset_count)):
            held = self.index.doc_count(kind)
            if held != expected:
                return f"out of step: {held} {kind}s indexed, {expected} public in the database", True
        return None, True

    def rebuild(self, progress: Callable[[int, int], Any] | None = None, procs: int | None = None) -> int:
        """Build a fresh index of every public item beside the old one and swap it in; the doc count.

        ``procs`` processes (default: two for large catalogs on machines with two or more cores) each
        read and index a share of the items; ``progress(done, total)`` is told of items as they are
        done, against the size of the job.
        """
        with self._lock:
            with Session(self.engine) as session:
                seq, mark = newest_change(session) or (0, "")
                product_ids = _ids(session, DataProduct)
                dataset_ids = _ids(session, Dataset)
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
                new = old.rebuild(seq=seq, mark=mark, parts=shares, progress=advance)
            else:
                docs = _public_documents(self.engine, product_ids, dataset_ids)
                new = old.rebuild(_counting(docs, advance), seq=seq, mark=mark)
            with self._swap_lock:
                old, self.index, self.problem = self.index, new, None
            old.close()
            self.marker.unlink(missing_ok=True)  # whoever asked for a rebuild has one
            if progress and total > told:
                progress(total - told, total)  # items that had no public document
            return self.index.doc_count()

    def status(self) -> dict[str, Any]:
        """Index health: its state, this process's role, documents held, sequence applied, and how far
        behind the database it is."""
        self._follow()  # notice a folder deleted since the last search or tick
        latest = self.latest_seq()
        applied = self.index.last_applied_seq()
        body: dict[str, Any] = {"status": "ok"}
        elsewhere = None if self.writer.held else self._rebuild_left_unfinished()
        if self.problem is not None or elsewhere:
            body = {"status": "rebuilding", "problem": self.problem or elsewhere}
            if self.rebuild_progress is not None:
                body["rebuild"] = dict(self.rebuild_progress)
            if self.rebuild_error is not None:
                body.update(status="error", error=self.rebuild_error)
        body.update(
            {
                "role": "writer" if self.writer.held else "reader",
                "process": os.getpid(),
                "writer_process": self.writer.holder(),
                "generation": self.index.generation,
                "documents": self.index.doc_count(),
                "applied_seq": applied,
                "latest_seq": latest,
                "lag": max(0, latest - applied),
            }
        )
        return body
