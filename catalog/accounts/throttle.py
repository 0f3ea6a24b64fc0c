"""Per-client throttling of sign-in failures and reset requests, in the memory of each process.

The account lockout stops guessing one account's password; this stops one client from guessing
across many accounts, or locking them all out, or filling mailboxes with reset links. Each process
keeps its own counts (a node restart forgets them): a bound on one client's pace, not an audit.
"""

from __future__ import annotations

import ipaddress
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

    def acquire(self, key: str) -> float | None:
        """Count an attempt before it is made (parallel attempts cannot all pass the check first);
        None when ``key`` has used up its events. ``release`` takes back one that went well."""
        with self._lock:
            events = self._recent(key)
            if len(events) >= self.limit:
                return None
            stamp = time.monotonic()
            events.append(stamp)
            self._events.move_to_end(key)
            while len(self._events) > MAX_CLIENTS:
                self._events.popitem(last=False)
            return stamp

    def release(self, key: str, stamp: float) -> None:
        with self._lock:
            events = self._events.get(key)
            if events is not None and stamp in events:
                events.remove(stamp)

    def _recent(self, key: str) -> deque[float]:
        events = self._events.setdefault(key, deque())
        cutoff = time.monotonic() - self.window
        while events and events[0] < cutoff:
            events.popleft()
        return events


def client_key(host: str | None) -> str:
    """Whom to count: the client's address, or its /64 network for IPv6 (one subscriber's many
    addresses). Behind a proxy this is the client's only when ``CATALOG_TRUSTED_PROXIES`` names that
    proxy (and no other): then ``catalog serve`` takes the address from its X-Forwarded-For."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6 and not address.ipv4_mapped:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)
