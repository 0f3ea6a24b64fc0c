"""Reading an uploaded XLSX workbook within bounds: sample files and import files alike.

A workbook is a zip of XML that a few hundred kilobytes can make expand to millions of shared strings
or cells, and openpyxl reads the shared strings whole before the first row. So a workbook is read in a
process of its own (``python -m catalog.sheets``: openpyxl, and none of the app, database or index),
under a memory limit (``RLIMIT_AS``) and killed past a time limit; it counts the shared strings before
openpyxl reads them, and stops at the rows and columns asked for. The server's own process only waits,
off the event loop: its searches go on. At most ``PARALLEL`` workbooks are read at once in a process
and one per account; a further one is refused with 429 at once (try again in a moment), so that no
thread of the server waits for a turn. The child's answer is JSON, never pickle (it parsed untrusted
XML), and it runs without the service's environment (no secret key, database address or password).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.etree.ElementTree import iterparse

from catalog.errors import TooManyRequests
from catalog.i18n import N_

SECONDS = 4.5  # to read one workbook, a sample or an import: an answer within 5 s
MEMORY = 96 * 2**20  # bytes the reading process may take beyond what it starts with
MAX_SHARED_STRINGS = 100_000  # distinct texts of a workbook: ten thousand rows of ten columns
PARALLEL = 2  # workbooks read at once by one server process
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

Rows = list[tuple[int, list[Any]]]


class Refused(Exception):
    """A workbook that is not read: damaged, too large to read within the limits, or too slow; the
    message says which, for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


TOO_LARGE = N_("This XLSX file holds too much to read: save a smaller file, or save it as CSV.")
UNREADABLE = N_("This XLSX file could not be read.")
BUSY = N_("A file of yours is still being read: try again when it is done.")
FULL = N_("The server is reading other files: try again in a moment.")

_lock = threading.Lock()
_reading: set[str] = set()  # the accounts whose workbook is being read
_turns = threading.BoundedSemaphore(PARALLEL)


def read_rows(
    content: bytes,
    *,
    rows: int,
    columns: int,
    who: str,
    strings: int = MAX_SHARED_STRINGS,
    seconds: float = SECONDS,
) -> Rows:
    """The first sheet's rows that are not blank, as (row number, values), at most ``rows`` of them
    and ``columns`` values each (a row ends at its last value); ``Refused`` when the workbook holds
    more than ``strings`` shared strings or cannot be read within the memory limit and ``seconds``,
    ``TooManyRequests`` when ``who`` (an account) has a workbook being read already."""
    with _one_per_account(who):
        if not _turns.acquire(blocking=False):  # no thread of the server waits for a turn
            raise TooManyRequests(FULL)
        try:
            return _in_child(content, rows, columns, strings, seconds)
        finally:
            _turns.release()


@contextmanager
def _one_per_account(who: str) -> Iterator[None]:
    with _lock:
        if who in _reading:
            raise TooManyRequests(BUSY)
        _reading.add(who)
    try:
        yield
    finally:
        with _lock:
            _reading.discard(who)


def _in_child(content: bytes, rows: int, columns: int, strings: int, seconds: float) -> Rows:
    """``_read`` in a process of its own (``python -m catalog.sheets``), killed after ``seconds``."""
    try:
        done = subprocess.run(
            # -P: nothing of the working directory is imported; the environment holds no secret
            [sys.executable, "-P", "-m", "catalog.sheets", str(rows), str(columns), str(strings)],
            input=content,
            capture_output=True,
            timeout=seconds,
            check=False,
            env={k: v for k, v in os.environ.items() if k in CHILD_ENVIRONMENT},
        )
    except subprocess.TimeoutExpired:  # run() killed it
        raise Refused(TOO_LARGE) from None
    try:
        outcome, value = json.loads(done.stdout)  # JSON, never pickle: the child parsed untrusted XML
        found = [(int(number), [_value(v) for v in cells]) for number, cells in value or []]
    except Exception:  # it died (out of memory, most likely) before it answered
        raise Refused(TOO_LARGE) from None
    if outcome != "rows":
        raise Refused(TOO_LARGE if outcome == "too large" else UNREADABLE)
    return found


CHILD_ENVIRONMENT = {"PATH", "PYTHONPATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
TIMES: dict[str, Any] = {"datetime": dt.datetime, "date": dt.date, "time": dt.time}


def _json(value: Any) -> Any:
    """A cell's value as JSON: text, numbers, true/false and null as they are; times tagged."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.timedelta):
        return {"timedelta": value.total_seconds()}
    for tag, kind in TIMES.items():
        if type(value) is kind:  # exactly: a datetime is a date too
            return {tag: value.isoformat()}
    return str(value)


def _value(value: Any) -> Any:
    """What ``_json`` wrote, as the cell's value again."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "timedelta":
            return dt.timedelta(seconds=float(text))
        if tag in TIMES:
            return TIMES[tag].fromisoformat(str(text))
        raise ValueError(f"no such value: {tag}")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise ValueError("not a cell's value")


def _child(rows: int, columns: int, strings: int) -> None:
    """The reading process: the workbook on standard input; on standard output, bounded in memory,
    ("rows", rows), ("too large", None) or ("unreadable", None), as JSON."""
    sys.modules["numpy"] = None  # type: ignore[assignment]  # openpyxl would load it (and its thread pool) for nothing
    import openpyxl  # noqa: F401  # loaded before the limit is set: the limit is on what reading takes

    start = _address_space()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if start:  # never above a limit the process was given already
        limit = start + MEMORY if hard == resource.RLIM_INFINITY else min(start + MEMORY, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    content = sys.stdin.buffer.read()
    try:
        read = _read(content, rows, columns, strings)
        answer: tuple[str, Any] = ("rows", [(n, [_json(v) for v in cells]) for n, cells in read])
    except (MemoryError, _TooMany):
        answer = ("too large", None)
    except Exception:  # openpyxl raises many kinds of errors on a damaged workbook
        answer = ("unreadable", None)
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


def _address_space() -> int:
    """This process's virtual memory size in bytes (0 where /proc does not tell it)."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class _TooMany(Exception):
    pass


def _read(content: bytes, rows: int, columns: int, strings: int = MAX_SHARED_STRINGS) -> Rows:
    _count_shared_strings(content, strings)
    from openpyxl import load_workbook

    found: Rows = []
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read every row, whatever size the file claims
        # read-only sheets give every row from the first, empty ones too: the count is the row number
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(row[:columns])
            while cells and cells[-1] is None:  # rows as long as their last value, not the sheet's width
                cells.pop()
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            found.append((number, cells))
            if len(found) >= rows:
                break
    finally:
        book.close()
    return found


def _count_shared_strings(content: bytes, limit: int) -> None:
    """Refuse a workbook of more than ``limit`` shared strings before openpyxl reads them all:
    the part its manifest names, as openpyxl finds it, counted as it streams by."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        part = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES))).find(SHARED_STRINGS)
        if part is None:
            return
        count = 0
        with archive.open(part.PartName[1:]) as xml:
            for _, element in iterparse(xml, events=("end",)):
                if element.tag == f"{SHEET_NS}si":
                    count += 1
                    if count > limit:
                        raise _TooMany
                    element.clear()


if __name__ == "__main__":
    _child(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
