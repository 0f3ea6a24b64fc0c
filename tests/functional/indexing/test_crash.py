"""Crashes and lost indexes, on real ``catalog serve`` processes: a server killed (SIGKILL) in the middle
of a burst of API writes loses no write it acknowledged, and its index comes back holding exactly the
database's public items; an index deleted under a running server, or damaged while it was stopped, is
rebuilt while every page and API keeps answering."""

from __future__ import annotations

import http.client
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from catalog.datasets.models import Dataset
from catalog.listings.states import PUBLIC_STATES
from catalog.products.models import DataProduct
from catalog.settings import Settings
from search_index import SearchIndex
from tests.conftest import catalog_env
from tests.functional.serving import Server, Writers, request, start_server, wait_for

pytestmark = pytest.mark.slow  # real servers: see the README's "Tests"

THREADS = 8
KILL_AFTER = 1.5  # seconds of writing before the kill, at least
LISTED_BEFORE_KILL = 4  # and at least this many listings acknowledged (a loaded machine writes slower)
ORDER = ["draft", "submitted", "in_review", "listed"]  # a later state may have committed unanswered
ENV = {"CATALOG_PUBLICITY_DAYS": "0"}
# what users and harvesters ask for while the index is rebuilt: none of it may fail
PAGES = [
    "/",
    "/products",
    "/datasets",
    "/search?q=%E5%85%AC%E4%BA%A4",
    "/api/v1/search?q=%E5%85%AC%E4%BA%A4",
    "/api/v1/products?q=%E5%AE%A2%E6%B5%81&sector=transport",
    "/api/v1/datasets",
    "/api/3/action/package_search?q=%E5%85%AC%E4%BA%A4",
    "/feed.atom",
    "/healthz",
]


class Burst:
    """``THREADS`` clients writing through the API as fast as the server answers, noting what it
    acknowledged (answered 2xx): every product's last acknowledged state."""

    def __init__(self, url: str, writers: Writers) -> None:
        self.url, self.writers = url, writers
        self.acknowledged: dict[str, str] = {}
        self.refused: list[tuple[str, int, object]] = []  # answers other than 2xx before the kill
        self.unanswered = 0  # requests in flight when the server died
        self.killed = threading.Event()  # set just before the server is killed: errors expected
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._write, args=(n,), daemon=True) for n in range(THREADS)]

    def _ack(self, slug: str, state: str) -> None:
        with self._lock:
            self.acknowledged[slug] = state

    def _write(self, thread: int) -> None:
        for n in range(10_000):
            slug = f"crash-{thread}-{n}"
            try:
                status, answer = self.writers.create(self.url, slug, f"崩溃演练数据产品 crash{thread}x{n}y")
                if status != 201:
                    self.refused.append((slug, status, answer))
                    continue
                self._ack(slug, "draft")
                # every third product stays a draft, the others go as far as listed
                for to in ("submitted", "in_review", "publicity") if n % 3 else ():
                    status, answer = self.writers.move(self.url, slug, to)
                    if status != 200:
                        self.refused.append((slug, status, answer))
                        break
                    self._ack(slug, answer["status"])
            except (OSError, http.client.HTTPException):  # the server is gone: what was in flight has no
                # (whole) answer; an answer cut off in its body is no acknowledgement either
                if self.killed.is_set():
                    with self._lock:
                        self.unanswered += 1
                    return
                raise

    def __enter__(self) -> Burst:
        for thread in self.threads:
            thread.start()
        return self

    def listed_enough(self) -> bool:
        with self._lock:
            return sum(state == "listed" for state in self.acknowledged.values()) >= LISTED_BEFORE_KILL

    def kill(self, server: Server) -> None:
        """SIGKILL the server, workers and all, while the clients are writing."""
        self.killed.set()
        server.kill()

    def __exit__(self, *exc: object) -> None:
        self.killed.set()
        for thread in self.threads:
            thread.join(timeout=30)


def public_keys(engine: Engine) -> tuple[set[str], set[str]]:
    with Session(engine) as session:
        products = set(session.exec(select(DataProduct.slug).where(DataProduct.status.in_(PUBLIC_STATES))))  # type: ignore[attr-defined]
        datasets = set(session.exec(select(Dataset.code).where(Dataset.status.in_(PUBLIC_STATES))))  # type: ignore[attr-defined]
    return products, datasets


def index_keys(settings: Settings) -> tuple[set[str], set[str]]:
    """The keys of every document in the index (read beside the running server)."""
    index = SearchIndex.open(settings.index_dir, create=False)
    try:
        return index.keys("product"), index.keys("dataset")
    finally:
        index.close()


def ready(server: Server) -> dict | None:
    health = server.health()
    index = health.get("index", {})
    return health if health.get("status") == "ok" and index.get("lag") == 0 else None


@pytest.fixture
def served(seeded_settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, dict[str, str], Path]]:
    """The environment of a private seeded catalog, and a log file for its servers."""
    yield seeded_settings, {**catalog_env(seeded_settings), **ENV}, tmp_path / "serve.log"


@pytest.mark.both_backends
def test_a_server_killed_in_a_burst_of_writes_keeps_every_acknowledged_one(
    served: tuple[Settings, dict[str, str], Path],
    seeded_engine: Engine,
    record_property: pytest.RecordProperty,
) -> None:
    settings, env, log = served
    writers = Writers.make(seeded_engine)
    server = start_server(env, log)
    try:
        with Burst(server.url, writers) as burst:
            time.sleep(KILL_AFTER)
            wait_for(burst.listed_enough, 30, "the burst listed too little to prove anything")
            burst.kill(server)
        assert not burst.refused, burst.refused[:3]
        acknowledged = dict(burst.acknowledged)
        assert len(acknowledged) >= THREADS, "too few writes before the kill to prove anything"
        if settings.is_sqlite:  # the database file survived the kill whole
            connection = sqlite3.connect(settings.data_dir / "catalog.sqlite3")
            try:
                assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            finally:
                connection.close()

        with Session(seeded_engine) as session:  # every acknowledged write is in the database
            stored = dict(
                session.exec(
                    select(DataProduct.slug, DataProduct.status).where(
                        DataProduct.slug.in_(list(acknowledged))  # type: ignore[attr-defined]
                    )
                ).all()
            )
        missing = {slug for slug in acknowledged if slug not in stored}
        assert not missing, missing
        behind = {
            s: (acknowledged[s], stored[s])
            for s in acknowledged
            if ORDER.index(stored[s]) < ORDER.index(acknowledged[s])
        }
        assert not behind, behind

        server = start_server(env, log)  # the restart applies what the index had not
        wait_for(lambda: ready(server), 60, "the restarted server's index never caught up")
        products, datasets = public_keys(seeded_engine)
        listed = {slug for slug, state in acknowledged.items() if state == "listed"}
        assert listed and listed <= products
        assert index_keys(settings) == (products, datasets)  # exactly the public items, nothing else
        slug = sorted(listed)[-1]
        status, answer = server.get(
            "/api/v1/products", q=slug.replace("crash-", "crash").replace("-", "x") + "y"
        )
        assert status == 200 and [item["id"] for item in answer["items"]] == [slug], answer
    finally:
        server.stop()
    with Session(seeded_engine) as session:
        made = set(session.exec(select(DataProduct.slug).where(DataProduct.slug.startswith("crash-"))))  # type: ignore[attr-defined]
    figures = {
        "in_flight_at_kill": burst.unanswered,
        # in flight at the kill, yet committed: a product made, or a step further than answered
        "committed_unanswered": len(made - set(acknowledged))
        + sum(ORDER.index(stored[s]) > ORDER.index(acknowledged[s]) for s in acknowledged),
        "acknowledged_products": len(acknowledged),
        "acknowledged_writes": sum(ORDER.index(state) + 1 for state in acknowledged.values()),
        "acknowledged_listed": len(listed),
        "found_in_database": len(acknowledged) - len(missing),
        "found_in_index": len(listed & products),
    }
    record_property("crash", figures)
    print(f"\ncrash ({'sqlite' if settings.is_sqlite else 'postgresql'}): {figures}")


class Hammer:
    """One client asking for ``PAGES`` in turn until stopped, noting every answer's status."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: list[tuple[str, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            for path in PAGES:
                self.statuses.append((path, request("GET", self.url + path, timeout=30)[0]))

    def failures(self) -> list[tuple[str, int]]:
        return [(path, status) for path, status in self.statuses if status >= 500]

    def __enter__(self) -> Hammer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def searched(server: Server) -> set[str]:
    status, answer = server.get("/api/v1/search", q="公交", per_page=100)
    assert status == 200, answer
    return {item["id"] for item in answer["products"]["items"]}


def test_an_index_deleted_under_a_running_server_is_rebuilt_while_it_answers(
    served: tuple[Settings, dict[str, str], Path], seeded_engine: Engine
) -> None:
    settings, env, log = served
    server = start_server(env, log)
    try:
        before = wait_for(lambda: ready(server), 30, "the index was never ready")["index"]["generation"]
        expected = searched(server)
        with Hammer(server.url) as hammer:
            time.sleep(0.5)
            shutil.rmtree(settings.index_dir)
            wait_for(
                lambda: (health := ready(server)) and health["index"]["generation"] != before,
                60,
                "the index was never rebuilt",
            )
            time.sleep(0.5)
        assert len(hammer.statuses) > len(PAGES) and not hammer.failures(), hammer.failures()[:5]
        assert "search index" in server.log_text() and "is missing" in server.log_text()
        assert searched(server) == expected
        assert index_keys(settings) == public_keys(seeded_engine)
    finally:
        server.stop()


def _damage(index_dir: Path, which: str) -> None:
    generation = index_dir / (index_dir / "CURRENT").read_text().strip()
    if which == "toc":
        target = next(generation.glob("_MAIN_*.toc"))
    else:
        target = max(generation.glob("*.trm"), key=lambda p: p.stat().st_size)
    target.write_bytes(os.urandom(max(256, target.stat().st_size)))


@pytest.mark.parametrize("which", ["toc", "segment"])
def test_an_index_damaged_while_stopped_is_detected_at_start_up_and_rebuilt(
    served: tuple[Settings, dict[str, str], Path], seeded_engine: Engine, which: str
) -> None:
    settings, env, log = served
    _damage(settings.index_dir, which)
    server = start_server(env, log)
    try:
        with Hammer(server.url) as hammer:
            wait_for(lambda: ready(server), 60, "the damaged index was never rebuilt")
        assert not hammer.failures(), hammer.failures()[:5]
        assert "(damaged: " in server.log_text() and "rebuilt" in server.log_text()
        assert searched(server)
        assert index_keys(settings) == public_keys(seeded_engine)
    finally:
        server.stop()
