"""The dashboard's arithmetic: the monthly trend, the projection at the current pace and the charts'
geometry."""

from __future__ import annotations

import datetime as dt
import itertools

from catalog.stats import charts
from catalog.stats.services import monthly_trend, projection

TODAY = dt.date(2026, 11, 23)
DEADLINE = dt.date(2027, 12, 31)


def steady(per_month: int, months: int, until: dt.date = TODAY) -> list[dt.date]:
    """``per_month`` listings a month, evenly spread over the ``months`` months before ``until``."""
    gap = 30.44 / per_month
    return sorted(until - dt.timedelta(days=round(i * gap)) for i in range(1, per_month * months + 1))


def test_the_trend_fills_empty_months_and_ends_this_month() -> None:
    rows = monthly_trend([dt.date(2026, 7, 3), dt.date(2026, 7, 20), dt.date(2026, 9, 1)], TODAY)
    assert rows == [
        {"month": "2026-07", "listed": 2, "total": 2},
        {"month": "2026-08", "listed": 0, "total": 2},
        {"month": "2026-09", "listed": 1, "total": 3},
        {"month": "2026-10", "listed": 0, "total": 3},
        {"month": "2026-11", "listed": 0, "total": 3},
    ]
    assert monthly_trend([], TODAY) == []


def test_the_projection_follows_the_pace() -> None:
    fast = projection(steady(20, 12), 300, DEADLINE, TODAY)  # 240 listed, 20 a month lately
    assert fast["listed"] == 240 and fast["remaining"] == 60
    assert 19 <= fast["pace_per_month"] <= 21
    projected = dt.date.fromisoformat(fast["projected_date"])
    assert dt.date(2027, 2, 5) <= projected <= dt.date(2027, 3, 5)  # three months of 20
    assert fast["on_track"] is True
    slow = projection(steady(2, 12), 300, DEADLINE, TODAY)  # 24 listed, 2 a month
    assert slow["on_track"] is False and dt.date.fromisoformat(slow["projected_date"]) > DEADLINE
    assert slow["needed_per_month"] > 20
    # a slow start and a fast last half year: the pace is the recent one
    recent = projection(steady(1, 12, TODAY - dt.timedelta(days=200)) + steady(10, 6), 300, DEADLINE, TODAY)
    assert 9 <= recent["pace_per_month"] <= 11
    stalled = projection([dt.date(2024, 5, 1)] * 10, 300, DEADLINE, TODAY)
    assert (
        stalled["pace_per_month"] == 0 and stalled["projected_date"] is None and stalled["on_track"] is False
    )


def test_a_reached_target_says_when() -> None:
    dates = steady(10, 6)
    reached = projection(dates, 25, DEADLINE, TODAY)
    assert reached["remaining"] == 0 and reached["reached_on"] == dates[24].isoformat()
    assert reached["on_track"] is True and reached["projected_date"] is None


def test_the_chart_draws_the_trend_the_target_and_the_projection() -> None:
    dates = steady(10, 12)
    trend = monthly_trend(dates, TODAY)
    chart = charts.line_chart(trend, projection(dates, 300, DEADLINE, TODAY), DEADLINE)
    assert chart is not None
    points = [tuple(map(float, p.split(","))) for p in chart.points.split()]
    assert len(points) == len(trend)
    assert all(b[0] > a[0] and b[1] <= a[1] for a, b in itertools.pairwise(points))  # rising
    x1, y1, x2, y2 = chart.projection  # type: ignore[misc]
    assert (x1, y1) == chart.last and x2 > x1 and y2 == chart.target_y  # it meets the target line
    assert chart.deadline_x is not None and chart.deadline_x > x1
    assert charts.line_chart([], projection([], 300, DEADLINE, TODAY), DEADLINE) is None
    assert charts.bar_widths([{"n": 5}, {"n": 10}, {"n": 0}], "n") == [50.0, 100.0, 0.0]


def test_the_projection_counts_the_first_day_and_stays_in_range() -> None:
    one_day = [TODAY - dt.timedelta(days=60)] * 100  # everything listed on one day, two months ago
    burst = projection(one_day, 300, DEADLINE, TODAY)
    assert burst["pace_per_month"] > 40 and burst["projected_date"] is not None
    far = projection(steady(1, 6), 10**6, DEADLINE, TODAY)  # a target no pace reaches in a century
    assert far["projected_date"] is None and far["on_track"] is False and far["pace_per_month"] > 0
    late = projection(steady(2, 6), 300, dt.date(2026, 1, 1), TODAY)  # the deadline has passed
    assert late["needed_per_month"] is None and late["on_track"] is False


def test_a_long_chart_keeps_a_readable_axis() -> None:
    dates = steady(10, 12)
    chart = charts.line_chart(
        monthly_trend(dates, TODAY), projection(dates, 300, DEADLINE, TODAY), dt.date(2100, 1, 1)
    )
    assert chart is not None and len(chart.x_ticks) <= charts.MAX_X_TICKS + 1
