"""Working days on the Chinese calendar (``catalog/workdays.py``): holidays, make-up working days, the
end of a publicity period, and the fallback past the calendar's known years."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from catalog import workdays
from catalog.workdays import (
    BEIJING,
    end_of_working_days,
    is_working_day,
    working_day_after,
    working_days_later,
)


def test_holidays_are_off_and_make_up_days_are_on() -> None:
    assert not is_working_day(dt.date(2026, 10, 5))  # a Monday of the National Day holiday
    assert is_working_day(dt.date(2026, 10, 10))  # a Saturday worked to make up for it (调休)
    assert not is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert is_working_day(dt.date(2026, 10, 9))


def test_ten_working_days_across_national_day() -> None:
    # approved on Wednesday 30 September 2026: 1-7 October are the holiday, Saturday 10 October is worked
    # days 1-10: 8, 9, 10 (make-up), 12, 13, 14, 15, 16, 19, 20 October
    assert working_day_after(dt.date(2026, 9, 30), 10) == dt.date(2026, 10, 20)
    # counted on weekdays alone it would have ended on 14 October, with five holidays counted as work
    approved = dt.datetime(2026, 9, 30, 3, 0, tzinfo=dt.UTC)  # 11:00 in Beijing
    ends = end_of_working_days(approved, 10)
    assert ends.astimezone(BEIJING) == dt.datetime(2026, 10, 21, 0, 0, tzinfo=BEIJING)
    assert ends == dt.datetime(2026, 10, 20, 16, 0, tzinfo=dt.UTC)


def test_the_day_is_taken_in_beijing() -> None:
    # 17:00 UTC on Friday 20 November is already Saturday in Beijing: the first working day is Monday
    late = dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)
    assert end_of_working_days(late, 1).astimezone(BEIJING).date() == dt.date(2026, 11, 24)
    early = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)  # 11:00 on Friday in Beijing
    assert end_of_working_days(early, 1).astimezone(BEIJING).date() == dt.date(2026, 11, 24)
    assert end_of_working_days(early, 0).astimezone(BEIJING).date() == dt.date(2026, 11, 21)


def test_an_answer_is_due_at_the_same_time_of_day() -> None:
    friday = dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)
    assert working_days_later(friday, 5) == dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC)
    before_holiday = dt.datetime(2026, 9, 30, 2, tzinfo=dt.UTC)
    assert working_days_later(before_holiday, 1) == dt.datetime(2026, 10, 8, 2, tzinfo=dt.UTC)


def test_past_the_calendar_weekends_only_with_a_warning(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workdays, "_warned", set())
    year = 2099  # far past any calendar the library will ship
    with caplog.at_level(logging.WARNING, logger="catalog"):
        friday = dt.date(year, 1, 2)
        assert friday.weekday() == 4
        assert working_day_after(friday, 1) == dt.date(year, 1, 5)  # Monday: weekends off, nothing else
        assert working_day_after(friday, 3) == dt.date(year, 1, 7)
    warnings = [r for r in caplog.records if str(year) in r.getMessage()]
    assert len(warnings) == 1  # once per year, not once per day counted
