"""Backups round-trip: ``catalog backup`` while the catalog is in use, damage, ``catalog restore``, and
everything is back — database, uploads and a search index that matches — on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, make_url, text
from sqlmodel import Session, col, select

from catalog import db
from catalog.cli import main
from catalog.datasets.models import Dataset
from catalog.indexing.indexer import Indexer
from catalog.products.models import DataProduct
from tests.conftest import make_settings

POSTGRES = os.environ.get("CATALOG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def listed(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            return set(session.exec(select(DataProduct.slug).where(DataProduct.status == "listed")))
    finally:
        engine.dispose()


def damage(url: str) -> None:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        for product in session.exec(select(DataProduct).where(DataProduct.status == "listed").limit(5)):
            product.status = "delisted"
    engine.dispose()


def index_count(data_dir: Path, url: str) -> int:
    engine = db.make_engine(url)
    try:
        return Indexer(engine, data_dir / "index").status()["documents"]
    finally:
        engine.dispose()


def roundtrip(env: dict[str, str], data_dir: Path, url: str, tmp_path: Path) -> None:
    upload = data_dir / "uploads" / "products" / "1" / "sample.csv"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("线路,客流\n1路,1200\n", encoding="utf-8")
    before = listed(url)
    archive = tmp_path / "backups" / "catalog.tar"
    run(env, "backup", str(archive))
    with tarfile.open(archive) as handle:
        assert {"manifest.json", "uploads/products/1/sample.csv"} <= set(handle.getnames())
    damage(url)
    upload.unlink()
    assert listed(url) != before
    run(env, "restore", "--yes", str(archive))
    assert listed(url) == before
    assert upload.read_text(encoding="utf-8").startswith("线路")
    public = index_count(data_dir, url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        expected = sum(
            session.exec(
                select(func.count()).select_from(model).where(col(model.status).in_(("listed", "publicity")))
            ).one()
            for model in (DataProduct, Dataset)
        )
    engine.dispose()
    assert public == expected  # the index was rebuilt from the restored database


@pytest.mark.sqlite_only
def test_a_sqlite_catalog_round_trips_through_a_backup(seeded_template: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(seeded_template, data_dir)
    settings = make_settings(data_dir)
    env = {"CATALOG_DATA_DIR": str(data_dir)}
    roundtrip(env, data_dir, settings.database_url, tmp_path)
    with sqlite3.connect(data_dir / "catalog.sqlite3") as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.sqlite_only
def test_a_backup_is_taken_while_the_catalog_is_written(seeded_template: Path, tmp_path: Path) -> None:
    """SQLite's backup copies one snapshot even with a write transaction open beside it."""
    data_dir = tmp_path / "var"
    shutil.copytree(seeded_template, data_dir)
    settings = make_settings(data_dir)
    writer = sqlite3.connect(data_dir / "catalog.sqlite3", timeout=10)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE data_product SET title = title || '（修订）' WHERE status = 'draft'")
    try:
        run({"CATALOG_DATA_DIR": str(data_dir)}, "backup", str(tmp_path / "during.tar"))
    finally:
        writer.rollback()
        writer.close()
    with tarfile.open(tmp_path / "during.tar") as handle:
        handle.extract("database.sqlite3", tmp_path / "out", filter="data")
    copy = sqlite3.connect(tmp_path / "out" / "database.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM data_product WHERE title LIKE '%（修订）'").fetchone()[0] == 0
    copy.close()
    assert settings.is_sqlite


@pytest.mark.sqlite_only
def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(
    seeded_template: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(seeded_template, data_dir)
    env = {"CATALOG_DATA_DIR": str(data_dir)}
    before = (data_dir / "catalog.sqlite3").read_bytes()
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all")
    result = CliRunner().invoke(main, ["restore", "--yes", str(junk)], env=env)
    assert result.exit_code != 0 and "cannot be read as a backup" in result.output
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as handle:
        handle.add(data_dir / "secret_key", "secret_key")
    result = CliRunner().invoke(main, ["restore", "--yes", str(other)], env=env)
    assert result.exit_code != 0 and "not a backup made by catalog backup" in result.output
    assert (data_dir / "catalog.sqlite3").read_bytes() == before


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh database on the test PostgreSQL server, dropped afterwards; skipped where none answers."""
    admin_url = make_url(POSTGRES)
    name = f"catalog_backup_{secrets.token_hex(4)}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server here: the SQLite tests still ran
        pytest.skip(f"PostgreSQL not reachable at {admin_url.render_as_string()}: {exc.__class__.__name__}")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_postgresql_catalog_round_trips_through_pg_dump(postgres_database: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    env = {"CATALOG_DATA_DIR": str(data_dir), "CATALOG_DATABASE_URL": postgres_database}
    run(env, "init")
    run(env, "seed")
    roundtrip(env, data_dir, postgres_database, tmp_path)
    sqlite_backup = tmp_path / "sqlite.tar"
    with tarfile.open(sqlite_backup, "w") as handle:  # a SQLite backup is refused by a PostgreSQL service
        manifest = tmp_path / "manifest.json"
        manifest.write_text('{"format": 1, "backend": "sqlite", "database": "database.sqlite3"}')
        handle.add(manifest, "manifest.json")
    result = CliRunner().invoke(main, ["restore", "--yes", str(sqlite_backup)], env=env)
    assert result.exit_code != 0 and "backup is of a sqlite database" in result.output
