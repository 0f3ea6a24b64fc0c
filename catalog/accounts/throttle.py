"""Per-client throttling of sign-in failures and reset requests, in the memory of each process.

The account lockout stops guessing one account's password; this stops one client from guessing
across many accounts, or locking them all out, or filling mailboxes with reset links. Each process
keeps its own counts (a node restart forgets them): a bound on one client's pace, not an audit.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

MAX_CLIENTS = 10000  # the oldest are forgotten first, so memory stays bounded


class Throttle:
    """At most ``limit`` events per ``window`` seconds per key."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        """True when ``key`` has used up its events in the current window."""
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def hit(self, key: str) -> None:
        """Count one event for ``key``."""
        with self._lock:
            self._recent(key).append(time.monotonic())
            self._events.move_to_end(key)
            while len(self._events) > MAX_CLIENTS:
                self._events.popitem(last=False)

    def _recent(self, key: str) -> deque[float]:
        events = self._events.setdefault(key, deque())
        cutoff = time.monotonic() - self.window
        while events and events[0] < cutoff:
            events.popleft()
        return events
