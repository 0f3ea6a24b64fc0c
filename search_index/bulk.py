"""Building a whole index fast: a segment writer that groups postings by term, and parallel segments.

Whoosh's own writer puts every posting (one per word per field per document, ~180 per product) in a
sorting pool as a tuple, sorts them all at commit, and writes them one call at a time. Documents are
added in document-number order, so grouping each term's postings as they arrive already leaves them
sorted: only the terms need sorting, and each term's postings are written a whole block at a time.
The segment files are whoosh's own format (``W3Codec``), read by the ordinary reader and merged by
the ordinary writer.

``build_segments`` runs one writer per document source in its own process (each source reads its
documents itself, so nothing is pickled between processes) and commits the segments together.
"""

from __future__ import annotations

import multiprocessing
import time
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from search_index.schema import Codec

Source = Callable[[], Iterable[Mapping[str, Any]]]
Prepare = Callable[[Mapping[str, Any]], dict[str, Any]]

REPORT_EVERY = 500  # documents between progress reports from a worker


class TermPool:
    """Postings grouped by (field, term), in arrival (= document number) order."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], tuple[array[int], array[float], list[bytes]]] = {}
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, btext, docnum, weight, vbytes = item
        entry = self.terms.get((fieldname, btext))
        if entry is None:
            entry = self.terms[(fieldname, btext)] = (array("I"), array("f"), [])
            self.fieldnames.add(fieldname)
        entry[0].append(docnum)
        entry[1].append(weight)
        if vbytes:
            entry[2].append(vbytes)

    def cleanup(self) -> None:
        self.terms.clear()


class BulkWriter(SegmentWriter):  # type: ignore[misc]  # whoosh has no type hints: its classes are Any to mypy
    """A ``SegmentWriter`` for new documents only (no merging) that writes postings term by term."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, codec=Codec(), compound=False, **kwargs)
        self.pool = TermPool()
        self.merge = False

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        terms = self.pool.terms
        current = None
        for key in sorted(terms):
            fieldname, btext = key
            if fieldname != current:
                if current is not None:
                    fieldwriter.finish_field()
                fieldwriter.start_field(fieldname, self.schema[fieldname])
                current = fieldname
            fieldwriter.start_term(btext)
            _write_postings(fieldwriter._postwriter, *terms.pop(key))
            fieldwriter.finish_term()
        if current is not None:
            fieldwriter.finish_field()
        fieldwriter.close()


def _write_postings(postwriter: Any, ids: array[int], weights: array[float], values: list[bytes]) -> None:
    """One term's postings as whole blocks; the last block is left for ``finish_postings``."""
    size = postwriter._blocklimit
    for start in range(0, len(ids), size):
        if start:
            postwriter._write_block()
        block = weights[start : start + size]
        postwriter._ids = ids[start : start + size]
        postwriter._weights = block
        postwriter._values = values[start : start + size]
        postwriter._maxweight = max(block)


_done: Any = None  # a worker's shared count of documents written, set by ``_start_worker``


def _start_worker(done: Any) -> None:
    global _done
    _done = done


def _count(n: int) -> None:
    with _done.get_lock():
        _done.value += n


def _write_segment(path: str, source: Source, prepare: Prepare) -> Any:
    """Worker: write one segment of the index at ``path`` from ``source``; the segment object."""
    ix = whoosh_index.open_dir(path)
    writer = BulkWriter(ix, _lk=False)  # its temporary files are the parent's, removed by it
    for count, doc in enumerate(source(), 1):
        writer.add_document(**prepare(doc))
        if count % REPORT_EVERY == 0:
            _count(REPORT_EVERY)
    _count(writer.docnum % REPORT_EVERY)
    segment = writer._finalize_segment()
    return segment


def build_segments(
    path: str,
    sources: Sequence[Source],
    prepare: Prepare,
    extra: Iterable[Mapping[str, Any]] = (),
    progress: Callable[[int], Any] | None = None,
) -> None:
    """Fill the empty index at ``path``: one segment per source, written in parallel processes, and
    one for ``extra`` (already prepared) documents; committed together. ``progress(n)`` hears of
    every ``n`` documents written."""
    ix = whoosh_index.open_dir(path)
    writer = BulkWriter(ix, timeout=30)
    try:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        done = context.Value("q", 0)
        _start_worker(done)
        parallel = len(sources) > 1
        with context.Pool(len(sources), _start_worker, (done,)) if parallel else _InProcess() as pool:
            pending = [pool.apply_async(_write_segment, (path, s, prepare)) for s in sources]
            for fields in extra:  # while the workers write theirs
                writer.add_document(**fields)
            reported = 0
            while True:
                finished = all(p.ready() for p in pending)
                if progress and done.value > reported:
                    progress(done.value - reported)
                    reported = done.value
                if finished:
                    break
                time.sleep(0.1)
            segments = [p.get() for p in pending]
        segments.append(writer._finalize_segment())
        writer._commit_toc(segments)
    except BaseException:
        writer.cancel()
        raise
    writer._finish()


class _InProcess:
    """The part of ``multiprocessing.Pool`` used above, running each job at once in this process."""

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def apply_async(self, func: Callable[..., Any], args: tuple[Any, ...]) -> _Done:
        return _Done(func(*args))


class _Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def ready(self) -> bool:
        return True

    def get(self) -> Any:
        return self.value
