"""Working days (工作日) on the Chinese calendar: weekends off, the State Council's public holidays off and
their make-up working days (调休) on, from the ``chinese-calendar`` library. Days are counted on the
date in Beijing time. A date past the years the library knows counts weekends only, and says so once
per year in the log: update chinese-calendar when the State Council publishes the next year's holidays.

Every period the port counts in working days comes from here: the publicity period (公示期,
``CATALOG_PUBLICITY_DAYS``) and the days a provider has to answer an access request
(``CATALOG_REQUEST_ANSWER_DAYS``).
"""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar

log = logging.getLogger("catalog")

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
_warned: set[int] = set()


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day; past the calendar's known years, Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the library has no holidays for
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning(
                "no Chinese holidays known for %s: counting weekends only (update chinese-calendar)",
                day.year,
            )
        return day.weekday() < 5


def working_day_after(day: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``day`` (``day`` itself not counted); ``day`` for 0."""
    while days > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def local_date(moment: dt.datetime) -> dt.date:
    """The date of an aware moment in Beijing."""
    return moment.astimezone(BEIJING).date()


def working_days_later(moment: dt.datetime, days: int) -> dt.datetime:
    """The same time of day, ``days`` working days after ``moment`` (a deadline to answer by)."""
    local = moment.astimezone(BEIJING)
    day = working_day_after(local.date(), days)
    return local.replace(year=day.year, month=day.month, day=day.day).astimezone(moment.tzinfo)


def end_of_working_days(moment: dt.datetime, days: int) -> dt.datetime:
    """The end (midnight in Beijing) of the ``days``-th working day after ``moment``'s date: a period of
    ``days`` full working days that starts the day after ``moment``, as the publicity period does."""
    last = working_day_after(local_date(moment), days)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), BEIJING)
    return end.astimezone(moment.tzinfo)
