"""A process killed between its database commit and its index write loses nothing on restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db
from catalog.app import create_app
from catalog.products.models import DataProduct
from catalog.settings import PROJECT_ROOT, Settings

# Commits two changes, then dies (SIGKILL) at the moment its indexer starts writing them to the index.
WRITER = """
import os, signal, sys
from sqlmodel import select
from catalog import db
from catalog.indexing.indexer import Indexer
from catalog.products.models import DataProduct
from catalog.settings import Settings

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

    env = {**os.environ, "CATALOG_DATA_DIR": str(seeded_settings.data_dir)}
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


def test_reindex_in_another_process_swaps_while_the_server_answers(seeded_settings: Settings) -> None:
    env = {**os.environ, "CATALOG_DATA_DIR": str(seeded_settings.data_dir)}
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
