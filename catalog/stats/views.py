"""Page-view counters for products and datasets that keep no personal data: a page view adds one to
the count of (kind, item, day), once per visitor and day, and that is all that is stored — no
address, account, cookie or agent (``ViewCounter`` says how a repeated view is known without them).

Counting in the database on every view would put a write on the busiest read path, so each process
adds up views in memory and writes them every few seconds (and when it stops), adding to the stored
counts; several processes and nodes add up correctly. A process killed outright loses the views of its
last few seconds, which is fine for a counter."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections import Counter

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from starlette.requests import Request

from catalog.accounts.throttle import client_key
from catalog.listings.states import is_public
from catalog.stats.models import ViewCount

BOTS = ("bot", "spider", "crawl", "slurp", "curl", "wget", "python-", "httpx", "headless")


def is_bot(user_agent: str) -> bool:
    """Crawlers and scripts: their views are not counted."""
    agent = user_agent.lower()
    return not agent or any(marker in agent for marker in BOTS)


def count_view(request: Request, kind: str, key: str, status: str) -> None:
    """Count a view of a public product or dataset page (an owner's look at a draft is no view), once
    per visitor and day: a visitor is a client address (an IPv6 client's /64 network), as the
    per-client limits count them, not anything the client says of itself (its browser's name)."""
    if is_public(status) and not is_bot(request.headers.get("user-agent", "")):
        request.app.state.views.hit(kind, key, client_key(request.client.host if request.client else None))


SEEN_MAX = 1_000_000  # visits remembered in a day (8 bytes each); past it, every view counts


class ViewCounter:
    """Views counted in this process and not yet written. A visitor's views of one page count once a
    day: what is remembered of a visit is a keyed hash of it (BLAKE2b, 8 bytes) under a key drawn
    afresh each day and kept in memory only, so no one can tell from it who visited, not even the
    next day's process. Each process remembers its own visits: a visitor whose views reach several
    workers or nodes may count once on each."""

    def __init__(self) -> None:
        self._pending: Counter[tuple[str, str, dt.date]] = Counter()
        self._lock = threading.Lock()
        self._day: dt.date | None = None
        self._key = b""
        self._seen: set[bytes] = set()

    def hit(self, kind: str, key: str, visitor: str, day: dt.date | None = None) -> bool:
        """Count a view of (kind, key) by ``visitor`` unless it viewed that page already on ``day``
        (default today); whether it counted."""
        day = day or dt.date.today()
        with self._lock:
            if day != self._day:  # a new day: a new key, and the visits of the last one forgotten
                self._day, self._key, self._seen = day, secrets.token_bytes(32), set()
            visit = hashlib.blake2b(
                f"{kind}\0{key}\0{visitor}".encode(), key=self._key, digest_size=8
            ).digest()
            if visit in self._seen:
                return False
            if len(self._seen) < SEEN_MAX:
                self._seen.add(visit)
            self._pending[(kind, key, day)] += 1
            return True

    def pending(self) -> int:
        with self._lock:
            return sum(self._pending.values())

    def flush(self, engine: Engine) -> int:
        """Add the pending views to the stored counts in one transaction; the views written. If the
        write fails the views are kept for the next flush."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
        if not batch:
            return 0
        try:
            _add(engine, batch)
        except Exception:
            with self._lock:
                self._pending.update(batch)
            raise
        return sum(batch.values())


def _add(engine: Engine, batch: Counter[tuple[str, str, dt.date]]) -> None:
    for attempt in range(3):
        try:
            with Session(engine) as session:
                for (kind, key, day), n in sorted(batch.items()):
                    result = session.exec(
                        update(ViewCount)
                        .where(
                            col(ViewCount.kind) == kind, col(ViewCount.key) == key, col(ViewCount.day) == day
                        )
                        .values(views=ViewCount.views + n)
                    )
                    if result.rowcount == 0:
                        session.add(ViewCount(kind=kind, key=key, day=day, views=n))
                        session.flush()
                session.commit()
            return
        except IntegrityError:  # another process inserted the same day's row first: add to it
            if attempt == 2:
                raise
