"""Workbooks are read in a process of their own, within limits of strings, memory, time and turns
(``catalog.sheets``; issue 18, point 1)."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time

import pytest

from catalog import sheets
from catalog.errors import TooManyRequests
from tests.workbooks import workbook


def test_the_rows_that_are_not_blank_are_read_with_their_numbers() -> None:
    book = workbook([["站点", "客流"], [" ", ""], ["S1", "1200"], ["S2", "877"]])
    rows = sheets.read_rows(book, rows=10, columns=3, who="a")
    assert rows == [(1, ["站点", "客流"]), (3, ["S1", "1200"]), (4, ["S2", "877"])]
    assert sheets.read_rows(book, rows=2, columns=1, who="a") == [(1, ["站点"]), (3, ["S1"])]


def test_more_shared_strings_than_the_limit_are_refused_before_they_are_read() -> None:
    book = workbook([["a"], ["b"]], strings=sheets.MAX_SHARED_STRINGS)  # two more than the limit
    with pytest.raises(sheets.Refused) as refused:
        sheets.read_rows(book, rows=10, columns=3, who="a")
    assert refused.value.message == sheets.TOO_LARGE


@pytest.fixture(scope="module")
def huge() -> bytes:
    """Few shared strings (under the count), but 120 MB of them once read: past the memory limit."""
    text = "长" * 1000
    return workbook([[f"{text}{n}"] for n in range(60_000)])


def test_a_workbook_that_needs_more_memory_than_the_limit_is_refused(huge: bytes) -> None:
    with pytest.raises(sheets.Refused) as refused:
        sheets.read_rows(huge, rows=10, columns=3, who="a")
    assert refused.value.message == sheets.TOO_LARGE


def test_damage_is_unreadable() -> None:
    book = workbook([["a"], ["b"]])
    with pytest.raises(sheets.Refused) as refused:
        sheets.read_rows(book[: len(book) // 2], rows=10, columns=3, who="a")
    assert refused.value.message == sheets.UNREADABLE


def test_an_account_has_one_workbook_read_at_a_time(huge: bytes) -> None:
    small = workbook([["a"], ["b"]])
    first: list[object] = []
    reading = threading.Thread(target=lambda: first.append(_outcome(huge, "busy")))
    reading.start()
    deadline = time.monotonic() + 10
    while "busy" not in sheets._reading and time.monotonic() < deadline:  # its turn began
        time.sleep(0.005)
    with pytest.raises(TooManyRequests):
        sheets.read_rows(small, rows=10, columns=1, who="busy")
    assert sheets.read_rows(small, rows=10, columns=1, who="another") == [(1, ["a"]), (2, ["b"])]
    reading.join()
    assert first == [sheets.TOO_LARGE]
    assert sheets.read_rows(small, rows=10, columns=1, who="busy")  # its turn again


def _outcome(book: bytes, who: str) -> object:
    try:
        return sheets.read_rows(book, rows=10, columns=3, who=who)
    except sheets.Refused as exc:
        return exc.message


def test_cells_come_back_with_their_types() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    moment = dt.datetime(2026, 12, 7, 8, 30)
    sheet.append(["文本", 3, 2.5, True, moment, dt.date(2026, 1, 2), dt.time(9, 15)])
    buffer = io.BytesIO()
    book.save(buffer)
    ((number, cells),) = sheets.read_rows(buffer.getvalue(), rows=5, columns=10, who="a")
    assert number == 1 and cells[:4] == ["文本", 3, 2.5, True]
    assert cells[4] == moment and isinstance(cells[5], dt.date) and cells[6] == dt.time(9, 15)


def test_no_thread_waits_for_a_turn_when_every_turn_is_taken() -> None:
    taken = [sheets._turns.acquire(blocking=False) for _ in range(sheets.PARALLEL)]  # others' workbooks
    try:
        with pytest.raises(TooManyRequests) as busy:
            sheets.read_rows(workbook([["a"], ["b"]]), rows=5, columns=1, who="a")
        assert busy.value.message == sheets.FULL
    finally:
        for _ in taken:
            sheets._turns.release()
    assert sheets.read_rows(workbook([["a"], ["b"]]), rows=5, columns=1, who="a") == [(1, ["a"]), (2, ["b"])]
