"""Backups: ``catalog backup FILE`` and ``catalog restore FILE``.

A backup is one tar archive holding ``manifest.json``, the database and the uploaded files (samples,
request attachments). The database part is a consistent online copy: SQLite's backup API copies the
file page by page from one read transaction while the service goes on writing; PostgreSQL's part is
``pg_dump --format=custom`` (one snapshot). The search index is not in the archive: it is built again
from the database on restore, so it always matches what was restored.

Restoring replaces the database and the uploads with the archive's, then migrates the schema to this
version and rebuilds the index. Stop the service first: a running server would keep serving (and
writing to) what it had open.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, make_url, text

from catalog import db
from catalog.errors import CatalogError, Invalid
from catalog.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
UPLOADS = "uploads"
PG_TIMEOUT = 30 * 60  # seconds pg_dump and pg_restore may take


class BackupError(CatalogError):
    code = "backup_failed"
    status = 500


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database or "")


def _libpq_url(settings: Settings) -> str:
    """The database URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")


def _run(args: list[str], what: str) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(f"{args[0]} is not installed: it is needed to {what} a PostgreSQL database")
    done = subprocess.run([tool, *args[1:]], capture_output=True, text=True, timeout=PG_TIMEOUT, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def backup(settings: Settings, engine: Engine, target: Path) -> dict[str, Any]:
    """Write a backup archive to ``target`` (atomically: a half-written archive never has its name).
    Returns the manifest."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        if settings.is_sqlite:
            member, database = SQLITE_MEMBER, Path(work) / SQLITE_MEMBER
            source = sqlite3.connect(_sqlite_path(settings))
            copy = sqlite3.connect(database)
            try:
                source.backup(copy)  # one consistent snapshot, while others write
            finally:
                copy.close()
                source.close()
        else:
            member, database = PG_MEMBER, Path(work) / PG_MEMBER
            _run(
                ["pg_dump", "--format=custom", "--no-owner", f"--file={database}", _libpq_url(settings)],
                "back up",
            )
        manifest = {
            "format": FORMAT,
            "backend": "sqlite" if settings.is_sqlite else "postgresql",
            "database": member,
            "revision": _revision(engine),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(database, member)
            uploads = settings.data_dir / UPLOADS
            if uploads.is_dir():
                archive.add(uploads, UPLOADS)
        os.replace(partial, target)
    return manifest


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        handle = archive.extractfile(MANIFEST)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Invalid("this file is not a backup made by catalog backup")
    return manifest


def restore(settings: Settings, source: Path) -> dict[str, Any]:
    """Replace the database and uploads with those of the archive ``source``, migrate, and rebuild the
    index. Everything is checked before anything is replaced. Returns the manifest."""
    from catalog.indexing.indexer import Indexer  # the index is rebuilt last

    try:
        archive = tarfile.open(source, "r")  # noqa: SIM115  (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise Invalid(f"{source} cannot be read as a backup: {exc}") from None
    with archive, tempfile.TemporaryDirectory(dir=settings.data_dir.parent, prefix=".restore-") as work:
        manifest = _read_manifest(archive)
        backend = "sqlite" if settings.is_sqlite else "postgresql"
        if manifest["backend"] != backend:
            raise Invalid(
                f"this backup is of a {manifest['backend']} database; the service is set to {backend}"
                " (CATALOG_DATABASE_URL)"
            )
        names = {m.name for m in archive.getmembers()}
        if manifest["database"] not in names:
            raise Invalid("the backup holds no database")
        archive.extractall(work, filter="data")  # refuses absolute paths, .. and links outside
        database = Path(work) / manifest["database"]
        if settings.is_sqlite:
            check = sqlite3.connect(database)
            try:
                verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                check.close()
            if verdict != "ok":
                raise Invalid(f"the backup's database is damaged: {verdict}")
            target = _sqlite_path(settings)
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):  # the old database's journal must not be replayed on the new one
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            staged = target.with_name(target.name + ".restoring")
            shutil.copyfile(database, staged)
            os.replace(staged, target)
        else:
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    f"--dbname={_libpq_url(settings)}",
                    str(database),
                ],
                "restore",
            )
        uploads = settings.data_dir / UPLOADS
        restored = Path(work) / UPLOADS
        if uploads.exists():
            shutil.rmtree(uploads)
        if restored.is_dir():
            shutil.copytree(restored, uploads)
    engine = db.make_engine(settings.database_url)
    try:
        db.migrate(engine)  # a backup of an older version is brought up to this one
        Indexer(engine, settings.index_dir).rebuild()
    finally:
        engine.dispose()
    return manifest
