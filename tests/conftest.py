"""Shared fixtures: a fresh SQLite file and index per test, and one seeded catalog per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from catalog import db
from catalog.app import create_app
from catalog.indexing.indexer import Indexer
from catalog.permissions import SYSTEM
from catalog.seeding import load_seed
from catalog.settings import PROJECT_ROOT, Settings

SEED_DIR = PROJECT_ROOT / "seed"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by folder: tests/unit -> unit, tests/functional -> functional."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        for marker in ("unit", "functional"):
            if marker in parts:
                item.add_marker(getattr(pytest.mark, marker))


def make_settings(data_dir: Path, **env: str) -> Settings:
    return Settings.from_env({"CATALOG_DATA_DIR": str(data_dir), **env})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the whole seed catalog and its index, built once per test run."""
    data_dir = tmp_path_factory.mktemp("seeded") / "var"
    settings = make_settings(data_dir)
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    with db.session_scope(engine) as session:
        load_seed(session, SYSTEM, SEED_DIR)
    Indexer(engine, settings.index_dir).catch_up()
    engine.dispose()
    return data_dir


@pytest.fixture
def seeded_settings(seeded_template: Path, tmp_path: Path) -> Settings:
    """A private copy of the seeded catalog, for tests that write."""
    data_dir = tmp_path / "var"
    shutil.copytree(seeded_template, data_dir)
    return make_settings(data_dir)


@pytest.fixture
def seeded_engine(seeded_settings: Settings) -> Iterator[Engine]:
    engine = db.make_engine(seeded_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def client(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """HTTP through the ASGI app, on a read-only copy of the seeded catalog shared by the session."""
    data_dir = tmp_path_factory.mktemp("served") / "var"
    shutil.copytree(seeded_template, data_dir)
    with TestClient(create_app(make_settings(data_dir)), raise_server_exceptions=False) as client:
        yield client
