"""Backups round-trip: ``catalog backup`` while the catalog is in use, damage, ``catalog restore``, and
everything is back — database, uploads and a search index that matches — on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import psycopg.sql
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, func, make_url, text
from sqlmodel import Session, col, select

from catalog import db
from catalog.backup.common import conninfo
from catalog.cli import main
from catalog.datasets.models import Dataset
from catalog.indexing.indexer import Indexer
from catalog.products.models import DataProduct
from catalog.settings import Settings
from tests.conftest import catalog_env, make_settings
from tests.factories import PASSWORD
from tests.functional.serving import start_server, wait_for

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"


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
    uploads = Path(env["CATALOG_UPLOADS_DIR"]) if "CATALOG_UPLOADS_DIR" in env else data_dir / "uploads"
    upload = uploads / "products" / "1" / "sample.csv"
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
    assert index_count(data_dir, url) == public_in(url)  # the index was rebuilt from the restored database


def public_in(url: str) -> int:
    """The public products and datasets of the database ``url``: what its index must hold."""
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            return sum(
                session.exec(
                    select(func.count())
                    .select_from(model)
                    .where(col(model.status).in_(("listed", "publicity")))
                ).one()
                for model in (DataProduct, Dataset)
            )
    finally:
        engine.dispose()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("uploads", ["in the data dir", "shared elsewhere"])
def test_a_sqlite_catalog_round_trips_through_a_backup(
    seeded_template: Path, tmp_path: Path, uploads: str
) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(seeded_template, data_dir)
    settings = make_settings(data_dir)
    env = {"CATALOG_DATA_DIR": str(data_dir)}
    if uploads == "shared elsewhere":  # another file system where there is one: a rename cannot cross
        shared = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else tmp_path))
        env["CATALOG_UPLOADS_DIR"] = str(shared / "uploads")
    roundtrip(env, data_dir, settings.database_url, tmp_path)
    with sqlite3.connect(data_dir / "catalog.sqlite3") as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    if "CATALOG_UPLOADS_DIR" in env:
        assert not (data_dir / "uploads").exists()
        shutil.rmtree(Path(env["CATALOG_UPLOADS_DIR"]).parent)


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


@pytest.mark.postgresql_only
def test_a_postgresql_catalog_round_trips_through_pg_dump(live: Settings, tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    env = catalog_env(live)
    roundtrip(env, live.data_dir, live.database_url, tmp_path)
    sqlite_backup = tmp_path / "sqlite.tar"
    with tarfile.open(sqlite_backup, "w") as handle:  # a SQLite backup is refused by a PostgreSQL service
        manifest = tmp_path / "manifest.json"
        manifest.write_text('{"format": 1, "backend": "sqlite", "database": "database.sqlite3"}')
        handle.add(manifest, "manifest.json")
    result = CliRunner().invoke(main, ["restore", "--yes", str(sqlite_backup)], env=env)
    assert result.exit_code != 0 and "backup is of a sqlite database" in result.output


# --- restores that fail leave the live catalog as it was -------------------------------------------------


def beside(url: str) -> set[str]:
    """The databases named after ``url``'s (``<db>_…``): what a restore kept or staged beside it."""
    address = make_url(url).set(drivername="postgresql")
    with psycopg.connect(address.set(database="postgres").render_as_string(hide_password=False)) as admin:
        pattern = (address.database or "").replace("_", r"\_") + r"\_%"
        return {
            row[0]
            for row in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [pattern])
        }


def drop_beside(url: str) -> None:
    address = make_url(url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(address.render_as_string(hide_password=False), autocommit=True) as admin:
        for name in beside(url):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def live(seeded_settings: Settings) -> Iterator[Settings]:
    """A private seeded catalog; on PostgreSQL, what restores kept beside its database is dropped after."""
    yield seeded_settings
    if not seeded_settings.is_sqlite:
        drop_beside(seeded_settings.database_url)


def read_members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as handle:
        return {m.name: handle.extractfile(m).read() for m in handle.getmembers() if m.isfile()}  # type: ignore[union-attr]


def pack(target: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(target, "w") as handle:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            handle.addfile(info, io.BytesIO(data))
    return target


def with_manifest(files: dict[str, bytes], **changes: object) -> dict[str, bytes]:
    manifest = {**json.loads(files["manifest.json"]), **changes}
    return {
        **files,
        "manifest.json": json.dumps({k: v for k, v in manifest.items() if v is not None}).encode(),
    }


def refused(env: dict[str, str], archive: Path) -> str:
    """Restore ``archive``, which must fail with a one-line message and no traceback; the message."""
    result = CliRunner().invoke(main, ["restore", "--yes", str(archive)], env=env)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception  # a message, not a traceback
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def still_serves(settings: Settings, expected: set[str]) -> None:
    """The live catalog holds what it held, migrates (``catalog init``) and nothing was left beside it."""
    assert listed(settings.database_url) == expected
    assert "database ready" in run(catalog_env(settings), "init")
    assert not list(settings.data_dir.glob(".restore-*"))
    if settings.is_sqlite:
        assert not list(settings.data_dir.glob("catalog.sqlite3.before-restore-*"))
    else:
        assert beside(settings.database_url) == set()


@pytest.mark.parametrize("harm", ["cut", "garbage"])
def test_a_damaged_database_in_a_backup_leaves_the_live_catalog_as_it_was(
    live: Settings, tmp_path: Path, harm: str
) -> None:
    """Finding 1: pg_restore ran into the live database and a dump cut short emptied it."""
    env = catalog_env(live)
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    damage(live.database_url)  # the live catalog now differs from the backup
    expected = listed(live.database_url)
    files = read_members(archive)
    member = "database.sqlite3" if live.is_sqlite else "database.pgdump"
    files[member] = files[member][: len(files[member]) * 6 // 10] if harm == "cut" else b"\x00garbage" * 512
    message = refused(env, pack(tmp_path / "damaged.tar", files))
    assert ("pg_restore failed" if not live.is_sqlite else "the backup's database is") in message
    still_serves(live, expected)


def _old_database(settings: Settings, tmp_path: Path) -> tuple[str, bytes]:
    """A catalog database at revision 0003 holding one organization: its URL and its backup member."""
    if settings.is_sqlite:
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        url = make_url(settings.database_url).set(
            database=f"{make_url(settings.database_url).database}_older"
        )
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        url = url.render_as_string(hide_password=False)
    engine = db.make_engine(url)
    command.upgrade(db._alembic_config(engine), "0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organization (slug, code, name, name_en, short_name, kind, description, region,"
                " address, contact_phone, website, verified, suspended, created_at) VALUES ('old-org',"
                " '91320800000000001X', '旧机构', 'Old org', '旧', 'government', '', '', '', '', '', TRUE,"
                " FALSE, '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    if settings.is_sqlite:
        return url, (tmp_path / "old.sqlite3").read_bytes()
    dump = tmp_path / "old.pgdump"
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", libpq], check=True)
    return url, dump.read_bytes()


def test_an_older_versions_backup_is_restored_exactly_and_migrated(live: Settings, tmp_path: Path) -> None:
    """Finding 2: pg_restore --clean into the live database left the tables of later migrations."""
    env = catalog_env(live)
    expected = listed(live.database_url)
    _url, database = _old_database(live, tmp_path)
    member = "database.sqlite3" if live.is_sqlite else "database.pgdump"
    manifest = {"format": 1, "backend": "sqlite" if live.is_sqlite else "postgresql", "database": member}
    archive = pack(
        tmp_path / "old.tar",
        {"manifest.json": json.dumps({**manifest, "revision": "0003"}).encode(), member: database},
    )
    lingering = (
        None
        if live.is_sqlite
        else psycopg.connect(
            make_url(live.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
    )
    try:
        output = run(env, "restore", "--yes", str(archive))  # a session left on the database is ended
    finally:
        if lingering is not None:
            lingering.close()
    assert listed(live.database_url) == set()  # exactly the backup's database: no product of the live one
    engine = db.make_engine(live.database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT slug FROM organization")).scalars().all() == ["old-org"]
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert revision == ScriptDirectory.from_config(db._alembic_config(engine)).get_current_head()
    assert "database ready" in run(env, "init")
    kept = re.search(r"kept as (\S+):", output)
    assert kept, output
    kept_url = (
        f"sqlite:///{kept[1]}"
        if live.is_sqlite
        else make_url(live.database_url).set(database=kept[1]).render_as_string(hide_password=False)
    )
    assert listed(kept_url) == expected  # the previous database is kept until the operator drops it


@pytest.mark.sqlite_only
def test_a_failed_sqlite_restore_keeps_the_commits_only_in_the_wal(
    seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 3: the live -wal and -shm files were deleted before the new copy was staged."""
    data_dir = tmp_path / "var"
    shutil.copytree(seeded_template, data_dir)
    env = {"CATALOG_DATA_DIR": str(data_dir)}
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    live = data_dir / "catalog.sqlite3"
    writer = (  # a service that committed and stopped before any checkpoint: the commit is in the WAL only
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute(\"UPDATE data_product SET title = '只在日志里的标题'\"\n"
        '          " WHERE id = (SELECT min(id) FROM data_product)")\n'
        "c.commit()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", writer, str(live)], check=True)
    assert Path(f"{live}-wal").stat().st_size > 0
    (data_dir / "catalog.sqlite3.restoring").mkdir()  # a folder in the way of the old staging copy

    def disk_full(_engine: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:  # staging the new copy fails: the disk is full
        patch.setattr(db, "migrate", disk_full)
        assert "No space left on device" in refused(env, archive)
    check = sqlite3.connect(live)
    assert (
        check.execute("SELECT count(*) FROM data_product WHERE title = '只在日志里的标题'").fetchone()[0] == 1
    )
    check.close()
    (data_dir / "catalog.sqlite3.restoring").rmdir()
    still_serves(make_settings(data_dir), listed(make_settings(data_dir).database_url))


def test_a_backup_of_a_newer_version_is_refused_before_anything_is_replaced(
    live: Settings, tmp_path: Path
) -> None:
    """Finding 4: a backup at a revision this version does not know replaced the database, then failed."""
    env = catalog_env(live)
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    damage(live.database_url)
    expected = listed(live.database_url)
    newer = pack(tmp_path / "newer.tar", with_manifest(read_members(archive), revision="0099"))
    assert "made by a newer version" in refused(env, newer)
    still_serves(live, expected)


def _sqlite_member(template: Path, tmp_path: Path, change: str | None = None) -> bytes:
    copy = tmp_path / f"member-{secrets.token_hex(4)}.sqlite3"
    source, target = sqlite3.connect(template / "catalog.sqlite3"), sqlite3.connect(copy)
    source.backup(target)
    if change:
        target.executescript(change)
    source.close()
    target.close()
    return copy.read_bytes()


BAD_ARCHIVES = {
    "no backend": ("names no database backend", lambda files, _make: with_manifest(files, backend=None)),
    "a member outside": ("damaged or not one of", lambda files, _make: {**files, "../../escaped.txt": b"x"}),
    "not sqlite": (
        "not a SQLite database",
        lambda files, _make: {**files, "database.sqlite3": b"\x00" * 4096},
    ),
    "not a catalog": (
        "not a catalog's",
        lambda files, make: {**files, "database.sqlite3": make("DROP TABLE alembic_version;")},
    ),
    "a newer database": (
        "made by a newer version",
        lambda files, make: {
            **files,
            "database.sqlite3": make("UPDATE alembic_version SET version_num = '0099';"),
        },
    ),
}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("case", [*BAD_ARCHIVES, "truncated"])
def test_a_bad_archive_is_refused_with_one_line_and_changes_nothing(
    seeded_template: Path, tmp_path: Path, case: str
) -> None:
    """Finding 5: foreign or damaged archives ended in tracebacks (KeyError, OutsideDestinationError,
    sqlite3.DatabaseError, tarfile.ReadError) or were restored (a SQLite file that is no catalog)."""
    data_dir = tmp_path / "var"
    shutil.copytree(seeded_template, data_dir)
    settings = make_settings(data_dir)
    expected, before = listed(settings.database_url), (data_dir / "catalog.sqlite3").read_bytes()
    revision = sqlite3.connect(data_dir / "catalog.sqlite3").execute(
        "SELECT version_num FROM alembic_version"
    )
    manifest = {
        "format": 1,
        "backend": "sqlite",
        "database": "database.sqlite3",
        "revision": revision.fetchone()[0],
    }
    revision.connection.close()
    files = {
        "manifest.json": json.dumps(manifest).encode(),
        "database.sqlite3": _sqlite_member(data_dir, tmp_path),
    }
    if case == "truncated":
        whole = pack(tmp_path / "whole.tar", files).read_bytes()
        archive, wanted = tmp_path / "bad.tar", "damaged"
        archive.write_bytes(whole[: len(whole) // 2])
    else:
        wanted, change = BAD_ARCHIVES[case]
        archive = pack(
            tmp_path / "bad.tar", change(files, lambda sql: _sqlite_member(data_dir, tmp_path, sql))
        )
    assert wanted in refused({"CATALOG_DATA_DIR": str(data_dir)}, archive)
    assert (data_dir / "catalog.sqlite3").read_bytes() == before
    assert not (tmp_path / "escaped.txt").exists()
    still_serves(settings, expected)


# --- the review of the staged restore --------------------------------------------------------------------


@pytest.fixture
def service_role(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A login role without CREATEDB (a service's) owning a new database: the URL of that database as
    the role, and as the superuser. The role, its database and what restores kept beside it are
    dropped afterwards."""
    admin_url = make_url(postgres_url).set(drivername="postgresql")
    name = f"catalog_svc_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True)
    except psycopg.Error as exc:  # no server here: the SQLite tests still ran
        pytest.skip(f"PostgreSQL not reachable at {admin_url.render_as_string()}: {exc.__class__.__name__}")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        admin.close()
        pytest.skip("pg_dump and pg_restore are not installed")
    try:
        admin.execute(f'CREATE ROLE "{name}" LOGIN NOCREATEDB NOSUPERUSER NOCREATEROLE')
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
        yield (
            make_url(postgres_url).set(username=name, database=name).render_as_string(hide_password=False),
            make_url(postgres_url).set(database=name).render_as_string(hide_password=False),
        )
    finally:
        pattern = name.replace("_", r"\_") + "%"
        for (database,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [pattern]):
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        admin.close()


def serves_its_role(env: dict[str, str], role: str, email: str) -> None:
    """The service, connected as ``role``, owns its database and every table in it, and reads and
    writes through the CLI (``catalog stats``, ``catalog user create``) and the service layer."""
    url = env["CATALOG_DATABASE_URL"]
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as connection:
        owner = connection.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        others = connection.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relowner <> %s::regrole",
            [role],
        ).fetchall()
    assert owner == (role,)
    assert others == []  # every table, index and sequence is the service's
    assert "Listed data products" in run(env, "stats")
    assert "created user" in run(env, "user", "create", email, "--password", PASSWORD)
    damage(url)  # writes products and the ChangeLog through the ORM


@pytest.fixture(scope="module")
def seed_dump(postgres_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's seeded PostgreSQL catalog dumped once (``pg_dump``, custom format), for the service
    roles to restore as their own instead of each running ``catalog init`` and ``catalog seed``."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    dump = tmp_path_factory.mktemp("seed-dump") / "seeded.pgdump"
    source = conninfo(make_url(make_settings(postgres_template).database_url))
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), "--dbname", source], check=True)
    return dump


def seeded_as_role(
    service_role: tuple[str, str], tmp_path: Path, seed_dump: Path
) -> tuple[dict[str, str], str, Path, set[str]]:
    """The seed catalog made by the service role and backed up by it, then changed: its environment,
    the role, the backup and the products it lists. The catalog is the run's seeded one restored over
    the role's own connection, so that every table is the role's, as ``catalog init`` and
    ``catalog seed`` run as the role leave it (and ten times faster)."""
    role_url, _superuser_url = service_role
    env = {"CATALOG_DATA_DIR": str(tmp_path / "var"), "CATALOG_DATABASE_URL": role_url}
    as_role = conninfo(make_url(role_url))
    restore = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", as_role]
    subprocess.run([*restore, str(seed_dump)], check=True)
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    before = listed(role_url)
    damage(role_url)
    return env, make_url(role_url).username or "", archive, before


@pytest.mark.slow
def test_a_postgresql_service_role_without_createdb_restores_in_place(
    service_role: tuple[str, str], tmp_path: Path, seed_dump: Path
) -> None:
    """Review 1: restore needed CREATEDB, which the in-place restore it replaced did not."""
    role_url, superuser_url = service_role
    env, role, archive, before = seeded_as_role(service_role, tmp_path, seed_dump)
    damaged = listed(role_url)

    # in place, an older version's backup would leave the tables of later migrations: refused first
    older = Settings.from_env(
        {"CATALOG_DATA_DIR": env["CATALOG_DATA_DIR"], "CATALOG_DATABASE_URL": superuser_url}
    )
    _url, dump = _old_database(older, tmp_path)
    manifest = {"format": 1, "backend": "postgresql", "database": "database.pgdump", "revision": "0003"}
    old = pack(
        tmp_path / "old.tar", {"manifest.json": json.dumps(manifest).encode(), "database.pgdump": dump}
    )
    message = refused(env, old)
    assert "older schema version" in message and "CREATEDB" in message, message
    assert listed(role_url) == damaged

    output = run(env, "restore", "--yes", str(archive))
    assert "restored in place" in output and "the previous database was not kept" in output, output
    assert "the index was rebuilt" in output
    assert listed(role_url) == before
    assert beside(role_url) == {f"{role}_older"}  # nothing staged beside it
    assert index_count(Path(env["CATALOG_DATA_DIR"]), role_url) == public_in(role_url)
    serves_its_role(env, role, "after-in-place@restore.test")


def test_a_postgresql_restore_by_the_superuser_leaves_the_catalog_to_its_owner(
    service_role: tuple[str, str], tmp_path: Path, seed_dump: Path
) -> None:
    """Review 1: run by the superuser, restore gave the catalog's database and tables to the superuser
    (pg_restore --no-owner): the service role then got "permission denied for table data_product"."""
    role_url, superuser_url = service_role
    env, role, archive, before = seeded_as_role(service_role, tmp_path, seed_dump)
    damaged = listed(role_url)
    output = run({**env, "CATALOG_DATABASE_URL": superuser_url}, "restore", "--yes", str(archive))
    kept = re.search(r"kept as (\S+):", output)
    assert kept and kept[1].startswith(f"{role}_before_restore_"), output
    assert listed(role_url) == before
    serves_its_role(env, role, "after-staged@restore.test")
    assert listed(make_url(role_url).set(database=kept[1]).render_as_string(hide_password=False)) == damaged


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """Nothing can be added to ``folder``, removed from it or renamed in it, as in the folder that holds
    a mount point (or the mount point of a read-only share): mode 0o555, or, for root, whom a mode does
    not stop, the immutable attribute (``chattr +i``); skipped where neither can be set."""
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("run as root, where only chattr +i makes a folder unwritable, and it cannot be set here")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def shared_uploads(settings: Settings, tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """The catalog's environment with its uploads in a folder of their own (``<tmp>/share/uploads``, as
    on a mount point), holding one sample; the environment, the uploads folder and the sample."""
    uploads = tmp_path / "share" / "uploads"
    sample = uploads / "products" / "1" / "sample.csv"
    sample.parent.mkdir(parents=True)
    sample.write_text("线路,客流\n1路,1200\n", encoding="utf-8")
    return {**catalog_env(settings), "CATALOG_UPLOADS_DIR": str(uploads)}, uploads, sample


def backed_up_then_changed(
    live: Settings, tmp_path: Path
) -> tuple[dict[str, str], Path, Path, Path, set[str]]:
    """A backup of the catalog with its uploads in a folder of their own (``shared_uploads``), and then
    changes to both: the environment, the uploads folder, its sample, the archive and the products
    listed in the backup."""
    env, uploads, sample = shared_uploads(live, tmp_path)
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    before = listed(live.database_url)
    damage(live.database_url)
    sample.write_text("after the backup", encoding="utf-8")
    return env, uploads, sample, archive, before


def files_in(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()
    }


def test_restore_swaps_the_uploads_inside_their_folder_which_it_may_not_rename(
    live: Settings, tmp_path: Path
) -> None:
    """Review 2: with the uploads folder on its own mount point, renaming it failed after the database
    was swapped in: the backup's database beside the old uploads, reported as a failed restore."""
    env, uploads, sample, archive, before = backed_up_then_changed(live, tmp_path)
    (uploads / "requests" / "2").mkdir(parents=True)
    (uploads / "requests" / "2" / "note.txt").write_text("later", encoding="utf-8")
    with unwritable(uploads.parent):
        output = run(env, "restore", "--yes", str(archive))
    assert listed(live.database_url) == before and "the index was rebuilt" in output
    assert sample.read_text(encoding="utf-8").startswith("线路")
    assert not (uploads / "requests").exists()  # the backup had none
    (old,) = uploads.glob(".before-restore-*")
    assert f"kept as {old}:" in output
    assert files_in(old) == {"products/1/sample.csv": "after the backup", "requests/2/note.txt": "later"}
    assert [p.name for p in uploads.iterdir() if p.name.startswith(".")] == [old.name]  # nothing staged left
    again = tmp_path / "again.tar"
    run(env, "backup", str(again))  # what restore kept is not in the next backup
    names = set(read_members(again))
    assert "uploads/products/1/sample.csv" in names
    assert not [name for name in names if name.startswith("uploads/.")], names


def test_uploads_that_cannot_be_staged_leave_the_live_catalog_as_it_was(
    live: Settings, tmp_path: Path
) -> None:
    """Review 2: a failure before the database swap (the uploads folder cannot be written) changes
    nothing, and removes what was staged."""
    env, uploads, _sample = shared_uploads(live, tmp_path)
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    damage(live.database_url)
    expected, files = listed(live.database_url), files_in(uploads)
    with unwritable(uploads):
        message = refused(env, archive)
    still_serves(live, expected)
    assert "restore failed" in message and "nothing was replaced" in message, message
    assert files_in(uploads) == files and not [p for p in uploads.iterdir() if p.name.startswith(".")]


def test_a_failure_after_the_database_swap_is_said_and_the_index_still_rebuilt(
    live: Settings, tmp_path: Path
) -> None:
    """Review 2: what fails after the database was swapped in is no failed restore: the output says
    that the database was restored, where the previous one is, what was not done, and the index is
    rebuilt from the restored database."""
    env, uploads, sample, archive, before = backed_up_then_changed(live, tmp_path)
    with unwritable(uploads / "products"):  # cannot be moved aside
        result = CliRunner().invoke(main, ["restore", "--yes", str(archive)], env=env)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
    assert "restore failed" not in result.output
    assert "the index was rebuilt" in result.output
    assert "the backup's database was restored, but not everything was done" in result.output
    assert "the uploads were not replaced" in result.output
    kept = re.search(r"kept as (\S+):", result.output)
    assert kept and "before" in kept[1] and "restore" in kept[1], result.output
    assert listed(live.database_url) == before
    assert index_count(live.data_dir, live.database_url) == public_in(live.database_url)
    assert sample.read_text(encoding="utf-8") == "after the backup"  # the previous uploads, whole
    (staged,) = uploads.glob(".restoring-*")
    assert str(staged) in result.output
    assert (staged / "products" / "1" / "sample.csv").read_text(encoding="utf-8").startswith("线路")
    assert not list(uploads.glob(".before-restore-*"))


def test_restore_is_refused_while_a_server_runs_on_the_data_dir(live: Settings, tmp_path: Path) -> None:
    """Review 3: restore did not notice a running server, whose commits made during the swap were lost."""
    env = catalog_env(live)
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    damage(live.database_url)
    expected = listed(live.database_url)
    server = start_server(env, tmp_path / "server.log")
    try:
        writer = wait_for(
            lambda: server.health().get("index", {}).get("writer_process"), 30, "no index writer"
        )
        message = refused(env, archive)
        assert listed(live.database_url) == expected
    finally:
        server.stop()
    assert f"a server is running on this data dir (process {writer}): stop it, then restore again" in message
    still_serves(live, expected)


# --- the review of restore's interruptions and names -----------------------------------------------------


def gone(pid: int) -> bool:
    """The process ``pid`` has ended (a zombie no one reaps counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def wait_until(check: Callable[[], object], seconds: float, what: str) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(what)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_postgresql_tool_dies_with_the_restore_that_started_it(tmp_path: Path) -> None:
    """Review 4: a killed restore (SIGKILL) left pg_restore running, which then committed."""
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from catalog.backup.common import run;"
            " run(['sh', '-c', 'echo $$ > ' + sys.argv[1] + '; exec sleep 30'], 'test')",
            str(pid_file),
        ]
    )
    try:
        wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 20, "the child did not start")
        child = int(pid_file.read_text())
        assert not gone(child)
        parent.kill()
        parent.wait(10)
        wait_until(lambda: gone(child), 5, f"the child {child} outlived its killed parent")
    finally:
        parent.kill()
        parent.wait(10)
        with contextlib.suppress(ValueError, OSError):
            os.kill(int(pid_file.read_text()), 9)


def children_of(pid: int) -> list[tuple[int, str]]:
    """The processes whose parent is ``pid``: their ids and command lines."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(
                    (int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
                )
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.slow
def test_a_restore_stopped_with_sigterm_during_pg_restore_changes_nothing(
    service_role: tuple[str, str], tmp_path: Path, seed_dump: Path
) -> None:
    """Review 4: SIGTERM (which Python does not handle) ended restore at once, leaving its work folders
    and an in-place pg_restore that went on and replaced the live database."""
    role_url, superuser_url = service_role
    env, _role, archive, _before = seeded_as_role(service_role, tmp_path, seed_dump)
    damaged = listed(role_url)
    data_dir = Path(env["CATALOG_DATA_DIR"])
    holder = psycopg.connect(conninfo(make_url(superuser_url)))  # pg_restore --clean waits for its lock
    restore: subprocess.Popen[bytes] | None = None
    try:
        holder.execute("LOCK TABLE data_product IN ACCESS SHARE MODE")
        restore = subprocess.Popen(
            [sys.executable, "-m", "catalog", "restore", "--yes", str(archive)],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        pid = restore.pid
        tools = wait_until(
            lambda: [c for c, line in children_of(pid) if "pg_restore" in line and "--clean" in line],
            60,
            "no in-place pg_restore was started",
        )
        time.sleep(0.5)  # pg_restore is waiting for the lock
        restore.send_signal(signal.SIGTERM)
        output = restore.communicate(timeout=30)[0].decode()
        assert restore.returncode != 0, output
        assert "restore stopped by signal" in output, output
        for tool in tools:  # type: ignore[union-attr]
            wait_until(lambda tool=tool: gone(tool), 5, "pg_restore outlived the restore")
    finally:
        holder.rollback()
        holder.close()
        if restore is not None and restore.poll() is None:
            restore.kill()
            restore.wait(10)
    time.sleep(1)  # a pg_restore still running would now take its lock and commit
    assert listed(role_url) == damaged
    assert not list(data_dir.glob(".restore-*"))  # the work folder was cleaned up
    assert not list((data_dir / "uploads").glob(".restoring-*"))


@pytest.mark.slow
def test_the_index_is_marked_for_a_rebuild_before_the_swap_and_unmarked_by_the_rebuild(
    live: Settings, tmp_path: Path
) -> None:
    """Review 4: the index was not invalidated before the database swap: a restore that died after it
    left the old index, which looked right. The rebuild marker is written before the swap, and stays
    when the index cannot be rebuilt (a server's writer then rebuilds it)."""
    env = catalog_env(live)
    marker = live.index_dir.with_name(live.index_dir.name + ".rebuilding")
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    assert "the index was rebuilt" in run(env, "restore", "--yes", str(archive))
    assert not marker.exists()
    with unwritable(live.index_dir):
        result = CliRunner().invoke(main, ["restore", "--yes", str(archive)], env=env)
    assert result.exit_code != 0 and "the index was not rebuilt" in result.output, result.output
    assert marker.read_text(encoding="utf-8") == "restored: the database was replaced"
    assert "the index was rebuilt" in run(env, "restore", "--yes", str(archive))
    assert not marker.exists()


def test_database_settings_that_cannot_be_copied_to_the_staged_database_are_said(
    service_role: tuple[str, str], tmp_path: Path, seed_dump: Path
) -> None:
    """Review 4: settings of the live database that the restoring user may not set (a superuser's
    parameter, a role's setting in the database) were dropped silently."""
    role_url, superuser_url = service_role
    env, role, archive, _before = seeded_as_role(service_role, tmp_path, seed_dump)
    name = make_url(role_url).database
    with psycopg.connect(
        conninfo(make_url(superuser_url).set(database="postgres")), autocommit=True
    ) as admin:
        admin.execute(f'ALTER ROLE "{role}" CREATEDB')
        admin.execute(f'ALTER DATABASE "{name}" SET log_min_duration_statement = 250')
        admin.execute(f"ALTER DATABASE \"{name}\" SET work_mem = '8MB'")
        admin.execute(f"ALTER ROLE postgres IN DATABASE \"{name}\" SET work_mem = '16MB'")
    output = run(env, "restore", "--yes", str(archive))
    assert "restored in place" not in output and "kept as" in output, output
    notes = [line for line in output.splitlines() if "was not copied" in line]
    assert len(notes) == 2, output
    assert any("log_min_duration_statement = '250'" in note for note in notes), output
    assert any(
        f'ALTER ROLE "postgres" IN DATABASE "{name}" SET work_mem = \'16MB\'' in note for note in notes
    ), output
    with psycopg.connect(conninfo(make_url(role_url))) as connection:
        assert connection.execute("SHOW work_mem").fetchone() == ("8MB",)  # what it may set was copied


@pytest.mark.slow
def test_role_and_database_names_with_a_space_and_a_quote_restore(
    tmp_path: Path, postgres_url: str, seed_dump: Path
) -> None:
    """Review 4: the URL given to psycopg and pg_restore was rendered with spaces left as they were,
    which libpq refuses."""
    admin_url = make_url(postgres_url).set(drivername="postgresql", database="postgres")
    try:
        admin = psycopg.connect(conninfo(admin_url), autocommit=True)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc.__class__.__name__}")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        admin.close()
        pytest.skip("pg_dump and pg_restore are not installed")
    token = secrets.token_hex(3)
    role, name = f"catalog svc'{token}", f"catalog db'{token}"
    quoted_role, quoted_name = (sql_identifier(admin, role), sql_identifier(admin, name))
    try:
        admin.execute(f"CREATE ROLE {quoted_role} LOGIN NOCREATEDB")
        admin.execute(f"CREATE DATABASE {quoted_name} OWNER {quoted_role}")
        superuser_url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        role_url = (
            make_url(postgres_url).set(username=role, database=name).render_as_string(hide_password=False)
        )
        env, _role, archive, before = seeded_as_role((role_url, superuser_url), tmp_path, seed_dump)
        output = run({**env, "CATALOG_DATABASE_URL": superuser_url}, "restore", "--yes", str(archive))
        assert "kept as" in output and "the index was rebuilt" in output, output
        assert listed(role_url) == before
        damage(role_url)
        output = run(env, "restore", "--yes", str(archive))  # in place, as the role
        assert "restored in place" in output, output
        assert listed(role_url) == before
    finally:
        for (database,) in admin.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [name]
        ).fetchall():
            admin.execute(f"DROP DATABASE IF EXISTS {sql_identifier(admin, database)} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {quoted_role}")
        admin.close()


def sql_identifier(connection: psycopg.Connection, name: str) -> str:
    return psycopg.sql.Identifier(name).as_string(connection)


def test_restore_removes_what_interrupted_restores_left_but_not_what_they_kept(
    live: Settings, tmp_path: Path
) -> None:
    """Review 4: an interrupted restore's work folder, staged uploads and staging database stayed
    forever; the next restore removes them and says so, and leaves what restores keep."""
    env = catalog_env(live)
    archive = tmp_path / "catalog.tar"
    run(env, "backup", str(archive))
    work = live.data_dir / ".restore-abc123"
    staged = live.uploads_dir / ".restoring-20200101_000000"
    kept = live.uploads_dir / ".before-restore-20200101_000000"
    for folder in (work, staged, kept):
        (folder / "products").mkdir(parents=True)
        (folder / "products" / "x.csv").write_text("x", encoding="utf-8")
    databases: list[str] = []
    if not live.is_sqlite:
        url = make_url(live.database_url)
        databases = [f"{url.database}_restore_deadbeef", f"{url.database}_before_restore_20200101_000000"]
        with psycopg.connect(conninfo(url.set(database="postgres")), autocommit=True) as admin:
            for name in databases:
                admin.execute(f'CREATE DATABASE "{name}"')
    output = run(env, "restore", "--yes", str(archive))
    assert f"removed what an interrupted restore left: {work}" in output, output
    assert f"removed what an interrupted restore left: {staged}" in output, output
    assert not work.exists() and not staged.exists()
    assert (kept / "products" / "x.csv").exists() and str(kept) not in output
    if databases:
        assert f"removed what an interrupted restore left: the database {databases[0]}" in output, output
        left = beside(live.database_url)
        assert databases[0] not in left and databases[1] in left
