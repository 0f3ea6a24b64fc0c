"""Open, write, search and rebuild the on-disk index.

The index folder holds generations (``gen-<n>/``) and a ``CURRENT`` file naming the live one; a
rebuild writes a new generation and swaps ``CURRENT`` atomically. The last applied change-log
sequence number is stored as a meta document in the same commit as the changes it covers.

A search matches documents with set operations over posting lists, filters and counts facets over
in-memory columns (``columns.py``), and asks whoosh to score only the documents that survive the
filters, for the first page.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import RamStorage
from whoosh.filedb.structfile import StructFile
from whoosh.searching import Searcher

from search_index import names  # noqa: F401  (whoosh's file names from secrets, see names.py)
from search_index.analysis import ChineseTokenizer
from search_index.bulk import Source, build_segments
from search_index.columns import Codes, SegmentColumns, TermCache, View, checked_filters, pack, posting_ids
from search_index.query import Evaluation, QueryParser, clean_query, suggest
from search_index.schema import (
    META_ID,
    SEARCH_FIELDS,
    SUGGEST_FIELDS,
    Codec,
    build_schema,
)

__all__ = ["IndexDamaged", "IndexMissing", "SearchHit", "SearchIndex", "SearchResult", "clean_query"]

KEPT_GENERATIONS = 3  # the live generation and the two before it
OPEN_ATTEMPTS = 3  # a commit of another process may delete the files named by the table we just read


class IndexMissing(FileNotFoundError):
    """There is no index under the folder (never built, or deleted)."""


class IndexDamaged(Exception):
    """The index's files cannot be read back as an index (garbage, truncated or missing files)."""


@dataclass(frozen=True)
class SearchHit:
    kind: str
    key: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """One page of hits, the total, facet counts ``{field: [(value, count), …]}`` and query notes."""

    total: int
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    query: str = ""
    simplified: bool = False  # syntax the parser could not read was ignored
    suggestion: str | None = None  # "did you mean", offered when nothing matched


class SearchIndex:
    """The search index of one process; writes are serialized by a lock, searches are thread-confined."""

    def __init__(self, root: Path, generation: str, ix: whoosh_index.Index | None = None) -> None:
        self.root = root
        self.generation = generation
        self._ix = ix if ix is not None else whoosh_index.open_dir(str(root / generation))
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._parser = QueryParser(SEARCH_FIELDS, self._ix.schema)
        self._words = ChineseTokenizer()
        self._searcher: Searcher | None = None
        self._closer: weakref.finalize[[], SearchIndex] | None = None
        self._view_cache: View | None = None
        self._segments: dict[str, SegmentColumns] = {}
        self._codes = Codes()
        self._terms = TermCache()

    # --- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path | str, *, create: bool = True) -> SearchIndex:
        """Open the live generation under ``root``, creating an empty index if there is none (or
        raising ``IndexMissing`` when not ``create``); ``IndexDamaged`` when its files are not an index."""
        root = Path(root)
        try:
            generation = cls.live_generation(root)
            if generation is not None and whoosh_index.exists_in(str(root / generation)):
                return cls(root, generation)
        except (IndexMissing, IndexDamaged):
            raise
        except Exception as exc:  # whoosh raises anything from IndexError to UnpicklingError on garbage
            _close_left_open(exc)
            raise IndexDamaged(f"{type(exc).__name__}: {exc}") from exc
        if not create:
            raise IndexMissing(f"no index in {root}")
        generation = cls._new_generation(root)
        cls._swap(root, generation)
        return cls(root, generation)

    @classmethod
    def empty(cls, root: Path | str) -> SearchIndex:
        """An empty index held in memory, to search while the one under ``root`` is rebuilt: it writes
        nothing there, but ``rebuild`` builds a new generation under ``root`` as usual."""
        ix = RamStorage().create_index(build_schema())
        return cls(Path(root), "", ix)

    @staticmethod
    def live_generation(root: Path) -> str | None:
        """The generation ``CURRENT`` names (None when there is none); ``IndexDamaged`` on garbage."""
        try:
            generation = (root / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexDamaged(f"CURRENT cannot be read: {exc}") from exc
        if not generation.startswith("gen-") or not generation[4:].isdigit():
            raise IndexDamaged(f"CURRENT names no generation: {generation[:40]!r}")
        return generation

    @staticmethod
    def _new_generation(root: Path) -> str:
        root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
        # never a number used before, even after the folder was deleted: a process still reading the
        # old generation of that name would take the new one for it (milliseconds since 1970)
        generation = f"gen-{max(max(numbers, default=0) + 1, time.time_ns() // 1_000_000)}"
        path = root / generation
        path.mkdir()
        whoosh_index.create_in(str(path), build_schema())
        return generation

    @staticmethod
    def _swap(root: Path, generation: str) -> None:
        tmp = root / "CURRENT.tmp"
        tmp.write_text(generation, encoding="utf-8")
        os.replace(tmp, root / "CURRENT")

    # --- writing -------------------------------------------------------------------------------
    def upsert(self, docs: Iterable[Mapping[str, Any]], seq: int | None = None, mark: str = "") -> None:
        """Add or replace documents (by ``id``), recording ``seq`` as applied in the same commit."""
        self.apply(docs, (), seq, mark)

    def delete(self, ids: Iterable[str], seq: int | None = None) -> None:
        """Remove documents by ``id``, recording ``seq`` as applied in the same commit."""
        self.apply((), ids, seq)

    def apply(
        self, upserts: Iterable[Mapping[str, Any]], deletes: Iterable[str], seq: int | None, mark: str = ""
    ) -> None:
        """Upsert and delete in one commit, recording ``seq`` as applied (with ``mark``, which tells that
        change apart from another given the same number, as after a database is restored)."""
        with self._write_lock:
            writer = self._ix.writer(timeout=30, compound=False, codec=Codec())
            try:
                for doc_id in deletes:
                    writer.delete_by_term("id", doc_id)
                for doc in upserts:
                    writer.update_document(**_prepare(doc))
                if seq is not None:
                    writer.update_document(
                        id=META_ID, kind="meta", seq=seq, **({"key": mark} if mark else {})
                    )
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def rebuild(
        self,
        docs: Iterable[Mapping[str, Any]] = (),
        seq: int = 0,
        *,
        mark: str = "",
        parts: Sequence[Source] = (),
        progress: Callable[[int], Any] | None = None,
    ) -> SearchIndex:
        """Build a fresh generation, swap it in, and return the index opened on it.

        ``docs`` are written by this process. Each of ``parts`` (a picklable callable returning
        documents, that reads them itself) is written by a process of its own when there are two or
        more, as a segment of its own, so a large catalog builds on every core; ``progress(n)`` hears
        of every ``n`` documents they write.
        """
        generation = self._new_generation(self.root)
        meta = {"id": META_ID, "kind": "meta", "seq": seq, **({"key": mark} if mark else {})}
        try:
            build_segments(
                str(self.root / generation),
                parts,
                _prepare,
                extra=chain(map(_prepare, docs), [meta]),
                progress=progress,
            )
        except BaseException:
            shutil.rmtree(self.root / generation, ignore_errors=True)
            raise
        self._swap(self.root, generation)
        # keep the two generations before it: running servers may still read them until they follow
        kept = sorted(self.root.glob("gen-*"), key=lambda p: int(p.name[4:]) if p.name[4:].isdigit() else 0)
        for old in kept[:-KEPT_GENERATIONS]:
            shutil.rmtree(old, ignore_errors=True)
        return SearchIndex(self.root, generation)

    # --- reading -------------------------------------------------------------------------------
    def version(self) -> tuple[str, int]:
        """Changes with every commit to this index, by any process: generation and commit number."""
        return self.generation, self._ix.latest_generation()

    def last_applied_seq(self) -> int:
        """The change-log sequence number the index has applied up to (0 when new)."""
        return self.last_applied()[0]

    def last_applied(self) -> tuple[int, str]:
        """The change-log sequence number applied up to, and the mark recorded with it ("" if none)."""
        with self._open_searcher() as searcher:
            stored = searcher.document(id=META_ID)
        return (int(stored["seq"]), stored.get("key") or "") if stored else (0, "")

    def doc_count(self, kind: str | None = None) -> int:
        """Number of documents of ``kind`` (all kinds but meta when None)."""
        with self._open_searcher() as searcher:
            if kind:
                return len(list(searcher.document_numbers(kind=kind)))
            count: int = searcher.doc_count()
            return count - (1 if searcher.document(id=META_ID) else 0)

    def keys(self, kind: str) -> set[str]:
        """Keys of every document of ``kind``."""
        with self._open_searcher() as searcher:
            return {stored["key"] for stored in searcher.documents(kind=kind)}

    def check(self) -> None:
        """Read the whole latest commit back cheaply — its table, every stored document, the meta
        document through the postings of ``id``, the columns searches use — and raise ``IndexDamaged``
        on what does not read back (garbage, truncated or missing files). Costs about what opening the
        first searcher does; damage inside postings that whoosh reads without error is not seen."""
        self._while_unchanged(self._check)

    def _while_unchanged(self, read: Callable[[], Any]) -> Any:
        """``read()``, again when it failed while a commit changed the index: a commit that merges
        segments deletes files that a searcher opened just before may still have to open."""
        for attempt in range(OPEN_ATTEMPTS):
            before = self._ix.latest_generation()
            try:
                return read()
            except (IndexDamaged, FileNotFoundError) as exc:
                _close_left_open(exc)
                if attempt == OPEN_ATTEMPTS - 1 or self._ix.latest_generation() == before:
                    raise
        raise AssertionError("unreachable")

    def _check(self) -> None:
        try:
            with self._read_lock, self._open_searcher() as searcher:
                stored = sum(1 for fields in searcher.all_stored_fields() if fields.get("id") != META_ID)
                searcher.document(id=META_ID)
                # the caches searches use: the columns decoded here are not decoded again
                view = View(searcher, self._segments, self._codes, self._terms)
                columns = int(view.universe(None).sum())
        except Exception as exc:
            _close_left_open(exc)
            raise IndexDamaged(f"{type(exc).__name__}: {exc}") from exc
        if columns != stored:
            raise IndexDamaged(f"{stored} stored documents but {columns} rows of columns")

    def verify(self, stop: Callable[[], bool] = lambda: False) -> bool:
        """``check`` and then read every posting list of every word in the latest commit, raising
        ``IndexDamaged`` on what does not read back (a truncated or overwritten postings file, which
        ``check`` does not see). About a second per 10,000 documents; ``stop`` is asked between
        segments and words, and True returned when the whole index was read.

        Segments are never changed once written, so one read back whole is not read again: its files'
        sizes and BLAKE2 digests are kept in the generation's ``VERIFIED`` file (hashing costs about a
        hundredth of reading the postings), and a segment whose bytes differ from them is read anew.
        A server's start-up thus reads only the segments written since the last whole read."""
        return bool(self._while_unchanged(lambda: self._verify(stop)))

    def _verify(self, stop: Callable[[], bool]) -> bool:
        self._check()
        folder = self.root / self.generation
        known = _read_verified(folder)
        verified: dict[str, dict[str, list[Any]]] = {}
        try:
            with self._open_searcher() as searcher:  # its own searcher: searches go on meanwhile
                for leaf, _ in searcher.leaf_searchers():
                    reader = leaf.reader()
                    segment = reader.segment().segment_id()
                    files = _fingerprint(folder, segment)
                    if known.get(segment) != files:
                        for n, (fieldname, text) in enumerate(reader.all_terms()):
                            if n % 1000 == 0 and stop():
                                return False
                            ids = posting_ids(reader, fieldname, text)
                            if len(ids) and (ids.min() < 0 or ids.max() >= reader.doc_count_all()):
                                raise IndexDamaged(f"{fieldname}:{text!r} names documents this segment lacks")
                    verified[segment] = files
        except (IndexDamaged, FileNotFoundError):  # not found: a commit of another process removed it
            raise
        except Exception as exc:
            _close_left_open(exc)
            raise IndexDamaged(f"{type(exc).__name__}: {exc}") from exc
        if verified != known:
            _write_verified(folder, verified)
        return True

    def search(
        self,
        text: str = "",
        *,
        kind: str | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        facets: Sequence[str] = (),
        sort: str = "relevance",
        offset: int = 0,
        limit: int | None = 20,
    ) -> SearchResult:
        """Documents of ``kind`` matching every word of ``text`` (all of them when it is empty) and
        ``filters``, in ``sort`` order, from ``offset``; with counts per value of each ``facets`` field.

        Facet counts of a field ignore that field's own filter (so its other values stay choosable)
        and apply all the others: filtering by a value returns exactly the count shown for it.
        """
        chosen = checked_filters(filters, facets, sort)
        cleaned = clean_query(text)
        query, simplified = self._parser.parse(cleaned)
        with self._read_lock:
            searcher, view = self._view_retried()
            universe = view.universe(kind)
            evaluation = Evaluation(view, searcher, SEARCH_FIELDS, universe)
            if query is not None:
                matched = universe & evaluation.mask(query)
            else:
                matched = universe if not text.strip() else np.zeros(view.size, dtype=bool)
                simplified = simplified or bool(text.strip())  # nothing in it could be searched
            final, counts = view.select(matched, chosen, facets)
            total = int(final.sum())
            relevance = query is not None and sort == "relevance"
            page = view.page(final, sort, offset, limit, evaluation.scores if relevance else None)
            hits = [
                SearchHit(view.kind(doc), view.keys[doc], float(evaluation.scores[doc]) if relevance else 0.0)
                for doc in page
            ]
            suggestion = None
            if not total and query is not None:
                suggestion = self._suggest(cleaned, searcher, view, universe)
        return SearchResult(total, hits, counts, cleaned, simplified, suggestion)

    def _view_retried(self) -> tuple[Searcher, View]:
        """``_view``, on a fresh searcher when a commit deleted files the last one had still to open."""
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return self._view()
            except FileNotFoundError as exc:
                _close_left_open(exc)
                self._close_searcher()
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _view(self) -> tuple[Searcher, View]:
        """The searcher on the latest commit and its arrays (rebuilt only after a write)."""
        if self._searcher is not None and not self._searcher.up_to_date():
            # A fresh searcher, not ``refresh()``: whoosh's refresh reuses the reader of a segment whose
            # id is unchanged even when documents of it were deleted since, so deletions would not show.
            self._close_searcher()
        if self._searcher is None:
            self._searcher = self._open_searcher()
            # its files are closed when this object goes, even if nobody calls close()
            self._closer = weakref.finalize(self, self._searcher.close)
            self._view_cache = None
        if self._view_cache is None:
            self._view_cache = View(self._searcher, self._segments, self._codes, self._terms)
        return self._searcher, self._view_cache

    def _open_searcher(self) -> Searcher:
        """A searcher on the latest commit, retried when a commit of another process deleted the files
        of the commit it had just found (whoosh removes what the new commit no longer uses)."""
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return self._ix.searcher()
            except FileNotFoundError as exc:
                _close_left_open(exc)  # the segment files it opened before the one that had gone
                if attempt == OPEN_ATTEMPTS - 1 or not (self.root / self.generation).is_dir():
                    raise
        raise AssertionError("unreachable")

    def _suggest(self, text: str, searcher: Searcher, view: View, universe: np.ndarray) -> str | None:
        """A corrected query that has hits, for a query that has none."""
        words = list(dict.fromkeys(t.text.lower() for t in self._words(text, mode="query")))

        def hits(candidate: str) -> bool:
            query, _ = self._parser.parse(candidate)
            return query is not None and bool(
                (universe & Evaluation(view, searcher, SEARCH_FIELDS, universe).mask(query)).any()
            )

        corrected = suggest(
            text.lower(), [w for w in words if not hits(w)], searcher.reader(), SUGGEST_FIELDS
        )
        return corrected if corrected is not None and hits(corrected) else None

    def close(self) -> None:
        with self._read_lock:
            self._close_searcher()

    def _close_searcher(self) -> None:
        if self._closer is not None:
            self._closer()  # closes the searcher, once
        self._searcher, self._closer, self._view_cache = None, None, None


VERIFIED = "VERIFIED"  # in a generation's folder: the segments read back whole, as their files were


def _fingerprint(folder: Path, segment: str) -> dict[str, list[Any]]:
    """``{file name: [size, BLAKE2b digest]}`` of the files of ``segment`` (``FileNotFoundError`` when one
    went meanwhile: a merge of another process's commit removed it)."""
    files: dict[str, list[Any]] = {}
    for path in sorted(folder.glob(f"{segment}.*")):
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, hashlib.blake2b).hexdigest()
        files[path.name] = [path.stat().st_size, digest]
    return files


def _read_verified(folder: Path) -> dict[str, Any]:
    """What ``_write_verified`` kept ({} when nothing was, or what is there does not read back)."""
    try:
        known = json.loads((folder / VERIFIED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _write_verified(folder: Path, segments: Mapping[str, Any]) -> None:
    """Keep the fingerprints of the segments read back whole (the live ones only); best effort: a
    process that cannot write them reads the segments again next time."""
    tmp = folder / f"{VERIFIED}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        tmp.write_text(json.dumps(segments, sort_keys=True), encoding="utf-8")
        os.replace(tmp, folder / VERIFIED)
    except OSError:  # the generation went (a rebuild removed it), or the disk is full or read-only
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _close_left_open(exc: BaseException) -> None:
    """Close the files a failed whoosh read left open (it opens a table or a segment file, then raises
    on garbage without closing it), rather than leave them to the garbage collector."""
    tb = exc.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            if isinstance(value, StructFile | io.IOBase):
                with contextlib.suppress(Exception):
                    value.close()
        tb = tb.tb_next


def _prepare(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a plain document into whoosh field values: text fields, and the packed row of the rest."""
    out: dict[str, Any] = {"id": doc["id"], "kind": doc["kind"], "key": doc["key"], "row": pack(doc)}
    for name in SEARCH_FIELDS:
        value = doc.get(name)
        if isinstance(value, list | tuple):
            value = " ".join(str(v) for v in value)
        if value:
            out[name] = value
    if "title" in out and "title_pinyin" not in out:
        out["title_pinyin"] = out["title"]
    return out
