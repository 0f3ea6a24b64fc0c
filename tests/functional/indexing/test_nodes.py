"""Several nodes on one PostgreSQL database, each with its own index replica fed by the ChangeLog, and
several workers of one node sharing its replica with a single writer: real ``catalog serve`` processes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine

from catalog import db
from catalog.indexing.lock import WriterLock
from catalog.settings import Settings
from tests.conftest import catalog_env
from tests.functional.serving import Server, Writers, start_server, wait_for

pytestmark = pytest.mark.slow  # real servers: see the README's "Tests"

CROSSING_SECONDS = 2.0  # a listing made on one node is found on another within this
NODE_ENV = {"CATALOG_PUBLICITY_DAYS": "0", "CATALOG_SECRET_KEY": "nodes-share-one-secret-key-" + "x" * 24}


def found(server: Server, word: str, slug: str) -> bool:
    status, answer = server.get("/api/v1/search", q=word)
    assert status == 200, answer
    return slug in {item["id"] for item in answer["products"]["items"]}


def index_ok(server: Server) -> dict | None:
    index = server.health().get("index", {})
    return index if index.get("status") == "ok" and index.get("lag") == 0 else None


@pytest.fixture
def shared_database(seeded_settings: Settings) -> str:
    """A PostgreSQL database of this test's own holding the seeded catalog; its URL."""
    return seeded_settings.database_url


@pytest.fixture
def engine_of(shared_database: str) -> Iterator[Engine]:
    engine = db.make_engine(shared_database)
    yield engine
    engine.dispose()


@pytest.fixture
def two_nodes(shared_database: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two nodes on data dirs of their own, each building its replica from the database first."""
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            data_dir = tmp_path / f"node-{name}"
            data_dir.mkdir(exist_ok=True)
            env = {"CATALOG_DATABASE_URL": shared_database, "CATALOG_DATA_DIR": str(data_dir), **NODE_ENV}
            servers.append(start_server(env, tmp_path / f"node-{name}.log"))
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


@pytest.mark.postgresql_only  # several nodes share one PostgreSQL database
def test_a_listing_made_on_one_node_is_found_by_search_on_another_within_two_seconds(
    two_nodes: tuple[Server, Server], engine_of: Engine, record_property: pytest.RecordProperty
) -> None:
    node_a, node_b = two_nodes
    for node in (node_a, node_b):  # node B builds its replica from the database first
        wait_for(lambda node=node: index_ok(node), 120, f"{node.url} never had its index ready")
    writers = Writers.make(engine_of)
    latencies = []
    for n in range(5):
        word = f"nodecross{n}q"
        slug = f"cross-node-listing-{n}"
        writers.list_product(node_a.url, slug, f"跨节点同步验证数据产品 {word}")
        listed = time.monotonic()  # node A answered: the listing is committed
        assert found(node_a, word, slug)  # its own replica already has it (read your writes)
        wait_for(partial(found, node_b, word, slug), CROSSING_SECONDS, f"node B never found {slug}", 0.02)
        latencies.append(time.monotonic() - listed)
    record_property("cross_node_seconds", [round(s, 3) for s in latencies])
    print(f"\ncross-node search latency (s): {', '.join(f'{s:.3f}' for s in latencies)}")
    assert max(latencies) < CROSSING_SECONDS


def _workers_health(server: Server, count: int, timeout: float = 30) -> dict[int, dict]:
    """The index part of ``/healthz`` from each of ``count`` workers (new connections until all answer)."""
    seen: dict[int, dict] = {}

    def every_worker() -> bool:
        index = server.health().get("index", {})
        if "process" in index:
            seen[index["process"]] = index
        return len(seen) >= count

    wait_for(every_worker, timeout, f"fewer than {count} workers answered /healthz", 0.01)
    return seen


def test_the_workers_of_one_node_share_one_index_writer_that_another_takes_over_when_it_dies(
    seeded_settings: Settings, seeded_engine: Engine, tmp_path: Path
) -> None:
    index_dir = seeded_settings.index_dir
    env = {**catalog_env(seeded_settings), **NODE_ENV}
    server = start_server(env, tmp_path / "workers.log", workers=2)
    try:
        health = _workers_health(server, 2)
        writers_seen = {pid for pid, index in health.items() if index["role"] == "writer"}
        assert len(writers_seen) == 1, health
        (writer,) = writers_seen
        assert {index["writer_process"] for index in health.values()} == {writer}
        lock = WriterLock.for_index(index_dir)
        assert not lock.acquire() and lock.holder() == writer  # held, by that worker alone

        writers = Writers.make(seeded_engine)
        writers.list_product(server.url, "two-workers-listing", "双进程一致性验证数据产品 workersame")
        wait_for(lambda: found(server, "workersame", "two-workers-listing"), CROSSING_SECONDS, "never found")
        for _ in range(30):  # new connections, answered by either worker: every answer has it
            assert found(server, "workersame", "two-workers-listing")
        caught_up = _workers_health(server, 2)
        assert all(index["lag"] == 0 for index in caught_up.values()), caught_up
        assert len({(i["generation"], i["documents"]) for i in caught_up.values()}) == 1, caught_up

        os.kill(writer, signal.SIGKILL)  # the writing worker dies; the other one takes its role over

        def new_writer() -> int | None:
            index = server.health().get("index", {})
            holder = index.get("writer_process")
            return holder if holder not in (None, writer) else None

        successor = wait_for(new_writer, 15, "nobody took the writer role over")
        assert lock.holder() == successor
        writers.list_product(server.url, "after-the-writer-died", "接任写入验证数据产品 writerheir")
        wait_for(
            lambda: found(server, "writerheir", "after-the-writer-died"), CROSSING_SECONDS, "never found"
        )
    finally:
        server.stop()
