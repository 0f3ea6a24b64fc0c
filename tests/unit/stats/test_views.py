"""Views counted once per visitor and day, with nothing kept of who visited (``catalog.stats.views``)."""

from __future__ import annotations

import datetime as dt

from catalog.stats.views import ViewCounter


def test_a_visitor_counts_once_a_page_and_day() -> None:
    counter, day = ViewCounter(), dt.date(2026, 12, 7)
    assert counter.hit("product", "bus-od", "203.0.113.5\0Mozilla", day) is True
    assert counter.hit("product", "bus-od", "203.0.113.5\0Mozilla", day) is False  # the same visitor again
    assert counter.hit("product", "bus-od", "203.0.113.5\0Safari", day) is True  # another browser
    assert counter.hit("dataset", "bus-od", "203.0.113.5\0Mozilla", day) is True  # another page
    assert counter.hit("product", "bus-od", "203.0.113.5\0Mozilla", day + dt.timedelta(days=1)) is True
    assert counter.pending() == 4
    assert not any("203.0.113.5" in repr(v) for v in vars(counter).values())  # only keyed hashes kept
