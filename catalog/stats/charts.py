"""Geometry of the dashboard's charts, computed here so that templates only draw: a line chart of
listings to date against the target, with the projection, and the bar lengths of the breakdowns."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 34
MAX_MONTHS_PAST_DEADLINE = 24
MAX_X_TICKS = 12


def _month_index(day: dt.date, first: tuple[int, int]) -> int:
    return (day.year - first[0]) * 12 + day.month - first[1]


def _nice_step(top: float) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if top / step <= 6:
            return step
    return int(top / 5) or 1


@dataclass
class LineChart:
    """A cumulative line of listings per month with the target, the deadline and the projection."""

    width: int = WIDTH
    height: int = HEIGHT
    points: str = ""  # the polyline of listings so far
    last: tuple[float, float] = (0.0, 0.0)
    target_y: float = 0.0
    deadline_x: float | None = None
    projection: tuple[float, float, float, float] | None = None  # x1, y1, x2, y2
    y_ticks: list[tuple[float, int]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    plot: tuple[int, int, int, int] = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)


def line_chart(
    trend: list[dict[str, Any]], projection: dict[str, Any], deadline: dt.date
) -> LineChart | None:
    """The chart of one trend (``monthly_trend``) and its ``projection``; None without listings."""
    if not trend:
        return None
    first = tuple(int(part) for part in trend[0]["month"].split("-"))
    start = (first[0], first[1])
    months = len(trend) - 1
    end = max(months, _month_index(deadline, start))
    projected = projection.get("projected_date")
    if projected:
        end = max(end, min(_month_index(dt.date.fromisoformat(projected), start), months + 12 * 6))
    end = min(end, max(months, _month_index(deadline, start)) + MAX_MONTHS_PAST_DEADLINE) or 1
    target = projection["target"]
    top = max(target, trend[-1]["total"]) * 1.1 or 1
    x0, y0, x1, y1 = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM

    def x(index: float) -> float:
        return round(x0 + (x1 - x0) * index / end, 1)

    def y(value: float) -> float:
        return round(y1 - (y1 - y0) * value / top, 1)

    chart = LineChart()
    chart.points = " ".join(f"{x(i)},{y(row['total'])}" for i, row in enumerate(trend))
    chart.last = (x(months), y(trend[-1]["total"]))
    chart.target_y = y(target)
    deadline_index = _month_index(deadline, start)
    chart.deadline_x = x(deadline_index) if 0 <= deadline_index <= end else None
    if projected:
        index = _month_index(dt.date.fromisoformat(projected), start)
        if index <= end:
            chart.projection = (*chart.last, x(index), y(target))
        else:  # beyond the chart: draw toward it, along the same slope, to the right edge
            rise = (target - trend[-1]["total"]) * (end - months) / max(1, index - months)
            chart.projection = (*chart.last, x(end), y(trend[-1]["total"] + rise))
    step = _nice_step(top)
    chart.y_ticks = [(y(v), v) for v in range(0, int(top) + 1, step)]
    every = next((n for n in (1, 3, 6, 12) if end / n <= MAX_X_TICKS), 12 * math.ceil(end / 12 / MAX_X_TICKS))
    for index in range(0, end + 1):
        year, month = divmod(start[0] * 12 + start[1] - 1 + index, 12)
        if (year * 12 + month) % every == 0 or index == 0:
            chart.x_ticks.append((x(index), f"{year}-{month + 1:02d}"))
    return chart


def bar_widths(rows: list[dict[str, Any]], key: str, width: int = 100) -> list[float]:
    """Bar lengths for ``rows[key]``, the longest ``width``."""
    top = max((row[key] for row in rows), default=0) or 1
    return [round(width * row[key] / top, 1) for row in rows]
