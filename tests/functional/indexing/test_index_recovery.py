"""A process killed between its database commit and its index write loses nothing on restart; an index
lost or damaged is reported by ``/healthz`` and rebuilt while searches answer from the database."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from catalog import db
from catalog.app import create_app
from catalog.cli import main
from catalog.indexing.indexer import Indexer
from catalog.products.models import DataProduct
from catalog.settings import PROJECT_ROOT, Settings
from search_index import SearchIndex
from tests.conftest import catalog_env

# Commits two changes, then dies (SIGKILL) at the moment its indexer starts writing them to the index.
WRITER = """
import os, signal, sys
from sqlmodel import select
from catalog import db
from catalog.indexing import hooks
from catalog.indexing.indexer import Indexer
from catalog.products.models import DataProduct
from catalog.settings import Settings

hooks.install()
settings = Settings.from_env()
engine = db.make_engine(settings.database_url)
indexer = Indexer(engine, settings.index_dir)
indexer.index.apply = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
with db.session_scope(engine) as session:
    gone = session.exec(select(DataProduct).where(DataProduct.slug == sys.argv[1])).one()
    gone.status = "delisted"
    renamed = session.exec(select(DataProduct).where(DataProduct.slug == sys.argv[2])).one()
    renamed.title = "运河星链冷链溯源数据服务"
indexer.catch_up()
print("survived")
"""


def search(client: TestClient, q: str) -> set[str]:
    response = client.get("/api/v1/products", params={"q": q, "per_page": 100})
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


def test_restart_after_a_kill_between_commit_and_index_write_loses_nothing(seeded_settings: Settings) -> None:
    engine = db.make_engine(seeded_settings.database_url)
    with Session(engine) as session:
        first, second = session.exec(
            select(DataProduct).where(DataProduct.status == "listed").order_by(DataProduct.id).limit(2)  # type: ignore[arg-type]
        ).all()
    engine.dispose()
    with TestClient(create_app(seeded_settings)) as client:
        assert first.slug in search(client, first.title)

    env = {**os.environ, **catalog_env(seeded_settings)}
    killed = subprocess.run(
        [sys.executable, "-c", WRITER, first.slug, second.slug],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "survived" not in killed.stdout

    with TestClient(create_app(seeded_settings)) as client:  # start-up applies what the index missed
        assert first.slug not in search(client, first.title)
        assert search(client, "星链冷链") == {second.slug}
        health = client.get("/healthz").json()
        assert health["index"]["lag"] == 0 and health["status"] == "ok"


def test_a_change_from_another_process_reaches_cached_search_pages(seeded_settings: Settings) -> None:
    with TestClient(create_app(seeded_settings)) as client:
        assert search(client, "星链冷链") == set()
        assert search(client, "星链冷链") == set()  # now answered from the result cache
        engine = db.make_engine(seeded_settings.database_url)
        with db.session_scope(engine) as session:  # a write that this server did not make
            product = session.exec(select(DataProduct).where(DataProduct.status == "listed")).first()
            assert product is not None
            product.title = "运河星链冷链溯源数据服务"
            slug = product.slug
        engine.dispose()
        deadline = time.monotonic() + 10  # the refresh timer runs every CATALOG_INDEX_REFRESH_SECONDS
        while search(client, "星链冷链") != {slug}:
            assert time.monotonic() < deadline, "the change never reached the search pages"
            time.sleep(0.2)


@pytest.mark.slow
def test_reindex_in_another_process_swaps_while_the_server_answers(seeded_settings: Settings) -> None:
    env = {**os.environ, **catalog_env(seeded_settings)}
    with TestClient(create_app(seeded_settings)) as client:
        before = client.get("/healthz").json()["index"]["generation"]
        expected = search(client, "公交")
        reindex = subprocess.Popen(
            [sys.executable, "-c", "from catalog.cli import main; main()", "reindex"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        answered = 0
        while reindex.poll() is None:  # searches keep being answered, from the old generation
            assert search(client, "公交") == expected
            answered += 1
        _, errors = reindex.communicate()
        assert reindex.returncode == 0, errors
        assert answered > 0
        deadline = time.monotonic() + 30  # the refresh timer runs every 2 s; a loaded CI machine is slower
        while client.get("/healthz").json()["index"]["generation"] == before:
            assert time.monotonic() < deadline, "the server never followed the new generation"
            time.sleep(0.2)
        assert search(client, "公交") == expected


# what users and harvesters ask for while the index is rebuilt: none of it may fail
PAGES = [
    "/",
    "/products",
    "/products?sector=transport&sort=newest",
    "/datasets",
    "/search?q=公交",
    "/api/v1/search?q=公交",
    "/api/v1/products?q=客流&sort=title",
    "/api/v1/datasets",
    "/api/3/action/package_search?q=公交",
    "/feed.atom",
]


REBUILDING = "搜索索引正在重建"
PUBLIC = ["listed", "publicity"]


def damage(index_dir: Path, how: str) -> None:
    """Delete the index folder, write garbage over its table of contents or its largest segment file,
    or cut its postings file short."""
    if how == "deleted":
        shutil.rmtree(index_dir)
        return
    generation = index_dir / (index_dir / "CURRENT").read_text().strip()
    if how == "truncated-postings":
        postings = max(generation.glob("MAIN_*.pst"), key=lambda path: path.stat().st_size)
        os.truncate(postings, postings.stat().st_size // 2)
        return
    files = generation.glob("_MAIN_*.toc") if how == "garbage-toc" else generation.glob("MAIN_*")
    target = max(files, key=lambda path: path.stat().st_size)
    target.write_bytes(os.urandom(max(256, target.stat().st_size)))


def hold_rebuilds(app: Starlette) -> threading.Event:
    """Hold the app's background rebuild until the event is set, to look at the service meanwhile (the
    rebuild itself then runs unchanged)."""
    gate = threading.Event()
    indexer = app.state.indexer
    rebuild = indexer.rebuild

    def held(*args: Any, **kwargs: Any) -> int:
        assert gate.wait(60), "the test never let the rebuild go"
        return rebuild(*args, **kwargs)

    indexer.rebuild = held
    return gate


@pytest.mark.parametrize("how", ["deleted", "garbage-toc", "garbage-segment"])
@pytest.mark.slow
def test_a_lost_index_is_reported_and_rebuilt_while_searches_answer_from_the_database(
    seeded_settings: Settings, how: str
) -> None:
    with TestClient(create_app(seeded_settings)) as client:
        expected = search(client, "公交")
    engine = db.make_engine(seeded_settings.database_url)
    with Session(engine) as session:
        titled = set(
            session.exec(
                select(DataProduct.slug).where(
                    DataProduct.status == "listed",
                    DataProduct.title.contains("公交"),  # type: ignore[attr-defined]
                )
            )
        )
    engine.dispose()
    assert titled and titled <= expected
    damage(seeded_settings.index_dir, how)

    app = create_app(seeded_settings)
    gate = hold_rebuilds(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        health = client.get("/healthz")
        assert health.status_code == 200  # the service answers: degraded, not down
        body = health.json()
        assert body["status"] == "degraded" and body["index"]["status"] == "rebuilding"
        assert body["index"]["problem"] == "missing" if how == "deleted" else "damaged"
        for path in PAGES:
            assert client.get(path).status_code == 200, path
        assert titled <= search(client, "公交") <= expected  # from the database: titles and summaries
        assert REBUILDING in client.get("/products", params={"q": "公交"}).text  # people are told
        ckan = client.get("/api/3/action/package_search", params={"q": "公交", "rows": 1000}).json()
        assert titled <= {package["name"] for package in ckan["result"]["results"]}

        gate.set()
        deadline = time.monotonic() + 30
        while (body := client.get("/healthz").json())["status"] != "ok":
            assert time.monotonic() < deadline, f"the index was never rebuilt: {body}"
            time.sleep(0.05)
        assert body["index"]["lag"] == 0 and body["index"]["documents"] > 0
        assert search(client, "公交") == expected  # from the index again: synonyms and all
        assert REBUILDING not in client.get("/products", params={"q": "公交"}).text


def same(health: dict, generation: str) -> bool:
    return health["index"]["generation"] == generation


def test_a_truncated_postings_file_is_found_after_start_up_and_rebuilt(seeded_settings: Settings) -> None:
    """Opening the index reads its tables, stored documents and columns, not every posting list: a
    cut-short postings file passes that, and is found by the whole read-back the writer starts then."""
    with TestClient(create_app(seeded_settings)) as client:
        expected = search(client, "公交")
        before = client.get("/healthz").json()["index"]["generation"]
    damage(seeded_settings.index_dir, "truncated-postings")

    with TestClient(create_app(seeded_settings), raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 60
        while (body := client.get("/healthz").json())["status"] != "ok" or same(body, before):
            assert time.monotonic() < deadline, f"the damage was never found and mended: {body}"
            for path in PAGES:  # meanwhile, from the index or the database, nothing fails
                assert client.get(path).status_code == 200, path
        assert search(client, "公交") == expected


def _retitle(engine: Any, product_id: int, title: str) -> None:
    with db.session_scope(engine) as session:
        product = session.get(DataProduct, product_id)
        assert product is not None
        product.title = title


def _found(indexer: Indexer, text: str) -> set[str]:
    found = indexer.index.search(text, kind="product", filters={"status": ["listed"]})
    return {hit.key for hit in found.hits}


@pytest.mark.both_backends
@pytest.mark.slow
def test_another_nodes_replica_is_rebuilt_when_the_database_is_restored_under_it(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    """A restored database numbers its next changes as the backup's did: a replica that had applied a
    change of that number must see that it is another change, and rebuild."""
    env = catalog_env(seeded_settings)
    engine = db.make_engine(seeded_settings.database_url)
    with Session(engine) as session:
        first, second = session.exec(
            select(DataProduct).where(DataProduct.status == "listed").order_by(DataProduct.id).limit(2)  # type: ignore[arg-type]
        ).all()
    other_node = Indexer(engine, tmp_path / "node-b" / "index")
    other_node.catch_up()
    backup = tmp_path / "before.tar"
    assert CliRunner().invoke(main, ["backup", str(backup)], env=env).exit_code == 0

    _retitle(engine, first.id, "幽灵标题甲乙丙")  # then lost: the backup is restored
    other_node.catch_up()
    assert _found(other_node, "幽灵标题甲乙丙") == {first.slug}
    engine.dispose()
    restored = CliRunner().invoke(main, ["restore", "--yes", str(backup)], env=env)
    assert restored.exit_code == 0, restored.output
    engine = db.make_engine(seeded_settings.database_url)
    other_node.engine = engine
    _retitle(engine, second.id, "恢复之后的新标题丁戊")  # the same change number as the lost one

    other_node.catch_up()
    assert _found(other_node, "幽灵标题甲乙丙") == set()
    assert _found(other_node, "恢复之后的新标题丁戊") == {second.slug}
    assert other_node.problem is None
    other_node.close()
    engine.dispose()


@pytest.mark.both_backends
def test_the_database_fallback_reads_the_newest_listings_first_on_every_backend(
    seeded_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It reads a bounded number of candidates, newest first: public items without a listing date (in
    publicity, not listed yet) come last on PostgreSQL too, which sorts NULLs first unless told."""
    from catalog.indexing import fallback

    public = DataProduct.status.in_(PUBLIC)  # type: ignore[attr-defined]
    with Session(seeded_engine) as session:
        for product in session.exec(select(DataProduct).where(DataProduct.status == "listed").limit(6)):
            product.status, product.listed_at = "publicity", None
        session.commit()
        dates = session.exec(select(DataProduct.listed_at).where(public, DataProduct.listed_at != None)).all()  # noqa: E711
        by_slug = dict(session.exec(select(DataProduct.slug, DataProduct.listed_at).where(public)).all())
    monkeypatch.setattr(fallback, "CANDIDATES", 5)
    found = fallback.database_search(
        seeded_engine, "", kind="product", filters={"status": PUBLIC}, sort="newest", limit=3
    )
    assert [by_slug[hit.key] for hit in found.hits] == sorted(dates, reverse=True)[:3]


# A node's index writer as a server runs it: its start-up (which reads the index back whole), then its
# timer; it says when it has started, and runs until it is stopped.
TIMED_WRITER = """
import sys, time
from catalog import db
from catalog.indexing.indexer import Indexer
from catalog.settings import Settings

settings = Settings.from_env()
indexer = Indexer(db.make_engine(settings.database_url), settings.index_dir)
indexer.start()
if indexer._verifier is not None:
    indexer._verifier.join()
print("writing", indexer.index.generation, flush=True)
while True:
    indexer.refresh()
    time.sleep(0.1)
"""


@pytest.mark.slow
def test_damage_a_reader_finds_is_rebuilt_by_the_writer_and_never_searched_again(
    seeded_settings: Settings,
) -> None:
    """Another worker of the node is the writer: the reader tells it (the rebuilding marker), and until
    the new generation is there keeps answering from the database instead of reopening the damage."""
    writer = subprocess.Popen(
        [sys.executable, "-c", TIMED_WRITER],
        env={**os.environ, **catalog_env(seeded_settings)},
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    engine = db.make_engine(seeded_settings.database_url)
    reader = Indexer(engine, seeded_settings.index_dir)
    try:
        started = (writer.stdout.readline() if writer.stdout else "").split()
        assert started[:1] == ["writing"], started
        reader.close()  # nothing of the index open here while it is damaged
        damage(seeded_settings.index_dir, "truncated-postings")
        reader = Indexer(engine, seeded_settings.index_dir)
        reader.start()
        assert not reader.writer.held
        failures = 0
        for word in ("公交", "淮安", "数据", "企业", "医疗", "交通", "农业", "气象"):
            try:
                reader.index.search(word, kind="product")
            except Exception as error:
                failures += 1
                assert reader.failed(error)  # the index is at fault: it is being rebuilt
        assert failures and reader.problem and reader.problem.startswith("damaged")
        deadline = time.monotonic() + 30
        while (generation := SearchIndex.live_generation(seeded_settings.index_dir)) == started[1]:
            reader.refresh()
            assert reader.problem is not None, "the reader went back to the damaged index"
            assert time.monotonic() < deadline, "the writer never rebuilt the index"
            time.sleep(0.05)
        while reader.problem is not None:
            reader.refresh()
            assert time.monotonic() < deadline + 30
        assert reader.index.generation == generation and reader.index.search("公交", kind="product").total
    finally:
        writer.kill()
        writer.communicate()  # and its pipe closed
        reader.close()
        engine.dispose()


def test_an_index_written_before_changes_were_marked_is_marked_by_its_writer_at_start_up(
    seeded_settings: Settings,
) -> None:
    index = SearchIndex.open(seeded_settings.index_dir, create=False)
    applied, mark = index.last_applied()
    assert applied and mark.startswith(("product:", "dataset:", "organization:", "licence:", "sector:"))
    index.apply((), (), seq=applied)  # the meta document as it was written before: no mark
    assert index.last_applied() == (applied, "")
    index.close()
    engine = db.make_engine(seeded_settings.database_url)
    indexer = Indexer(engine, seeded_settings.index_dir)
    try:
        indexer.start()
        assert indexer.writer.held and indexer.index.last_applied() == (applied, mark)
    finally:
        indexer.close()
        engine.dispose()
