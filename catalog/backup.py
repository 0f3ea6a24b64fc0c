"""Backups: ``catalog backup FILE`` and ``catalog restore FILE``.

A backup is one tar archive holding ``manifest.json``, the database and the uploaded files (samples,
request attachments). The database part is a consistent online copy: SQLite's backup API copies the
file page by page from one read transaction while the service goes on writing; PostgreSQL's part is
``pg_dump --format=custom`` (one snapshot). The search index is not in the archive: it is built again
from the database on restore, so it always matches what was restored.

Restoring is an offline operation (stop the service first). The live catalog is not touched until the
backup's database is complete, checked and migrated beside it:

1. the archive is read and its manifest checked: the backend, the database member, and a schema
   revision that this version's migrations know (a backup of a newer version is refused);
2. the database and the uploads are unpacked into a work folder inside the data dir;
3. the database is staged and migrated to this version: on SQLite the unpacked copy (integrity check,
   ``alembic_version``); on PostgreSQL a new empty database ``<db>_restore_<random>`` (``CREATE
   DATABASE … TEMPLATE template0``), filled by ``pg_restore --single-transaction --exit-on-error``;
4. only then is it swapped in. SQLite: the live database is first copied to
   ``<file>.before-restore-<time>``, then the staged copy is written into it with SQLite's backup API
   (one transaction, so the live file and its WAL are never left half-replaced). PostgreSQL: the
   sessions still connected to the live database are ended, and in one transaction the live database
   is renamed ``<db>_before_restore_<time>`` and the staged one takes its name;
5. the uploads folder is swapped the same way (the old one kept as ``uploads.before-restore-<time>``)
   and the index is rebuilt.

A failure in steps 1-3 leaves the live catalog as it was (a staged PostgreSQL database is dropped).
What was kept is named in the result; the operator drops it once the restored catalog is right.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import URL, Engine, inspect, make_url, text

from catalog import db
from catalog.errors import CatalogError, Invalid
from catalog.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
UPLOADS = "uploads"
PG_TIMEOUT = 30 * 60  # seconds pg_dump and pg_restore may take
PG_NAME_BYTES = 63  # PostgreSQL's longest identifier
SWAP_ATTEMPTS = 10  # PostgreSQL: tries to end the sessions on the live database and rename it


class BackupError(CatalogError):
    code = "backup_failed"
    status = 500


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database or "")


def _libpq_url(settings: Settings, database: str | None = None) -> str:
    """The database URL as pg_dump and pg_restore take it (no SQLAlchemy driver name), of the service's
    database or of ``database`` on the same server."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    return (url.set(database=database) if database else url).render_as_string(hide_password=False)


def _revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")


def _run(args: list[str], what: str) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(f"{args[0]} is not installed: it is needed to {what} a PostgreSQL database")
    try:
        done = subprocess.run(
            [tool, *args[1:]], capture_output=True, text=True, timeout=PG_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{args[0]} took longer than {PG_TIMEOUT} seconds and was stopped") from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error:" in line] or lines[-1:]  # the first error says why
        raise BackupError(f"{args[0]} failed ({done.returncode}): {(errors or ['no message'])[0][:500]}")


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
            if settings.uploads_dir.is_dir():
                archive.add(settings.uploads_dir, UPLOADS)
        os.replace(partial, target)
    return manifest


@dataclass
class Restored:
    """What ``restore`` did: the archive's manifest, and where the previous catalog was kept."""

    manifest: dict[str, Any]
    kept: list[str] = field(default_factory=list)


def known_revisions() -> set[str]:
    """The schema revisions this version's migrations know."""
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _check_revision(revision: object, where: str) -> None:
    if not isinstance(revision, str) or not revision:
        raise Invalid(f"the backup's {where} names no schema revision")
    if revision not in known_revisions():
        raise Invalid(
            f"the backup's {where} is at schema revision {revision}, which this version does not know:"
            " it was made by a newer version of the catalog; restore it with that version"
        )


def _read_manifest(archive: tarfile.TarFile, backend: str) -> dict[str, Any]:
    """The archive's manifest, checked against this service's backend and migrations."""
    try:
        handle = archive.extractfile(MANIFEST)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError):
        manifest = None
    except (tarfile.TarError, OSError) as exc:
        raise Invalid(f"the backup is damaged: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Invalid("this file is not a backup made by catalog backup")
    if manifest.get("backend") not in ("sqlite", "postgresql"):
        raise Invalid("the backup's manifest names no database backend (sqlite or postgresql)")
    if manifest["backend"] != backend:
        raise Invalid(
            f"this backup is of a {manifest['backend']} database; the service is set to {backend}"
            " (CATALOG_DATABASE_URL)"
        )
    if manifest.get("database") != (SQLITE_MEMBER if backend == "sqlite" else PG_MEMBER):
        raise Invalid("the backup's manifest names no database of its backend")
    _check_revision(manifest.get("revision"), "manifest")
    return manifest


def _unpack(archive: tarfile.TarFile, manifest: dict[str, Any], work: Path) -> Path:
    """Extract the database and the uploads into ``work``; the database's path. An archive with a member
    that would land outside ``work`` (an absolute path, ``..``, a link out) is refused as a whole."""
    try:
        members = archive.getmembers()
        for member in members:
            tarfile.data_filter(member, str(work))  # raises for a member that is not safe to extract
        wanted = [m for m in members if m.name == manifest["database"] or m.name.split("/", 1)[0] == UPLOADS]
        if not any(member.name == manifest["database"] for member in wanted):
            raise Invalid("the backup holds no database")
        archive.extractall(work, wanted, filter="data")
    except tarfile.TarError as exc:
        raise Invalid(f"the backup is damaged or not one of catalog backup's: {exc}") from None
    database = work / manifest["database"]
    if not database.is_file():
        raise Invalid("the backup's database is not a file")
    return database


def _check_catalog(engine: Engine) -> None:
    """Refuse a database that is not a catalog of a schema this version knows."""
    if not inspect(engine).has_table("alembic_version"):
        raise Invalid("the backup's database is not a catalog's (it has no alembic_version table)")
    _check_revision(_revision(engine), "database")


def _migrate_staged(url: str | URL) -> None:
    """Check the staged database and migrate it to this version, before it replaces anything."""
    engine = db.make_engine(url if isinstance(url, str) else url.render_as_string(hide_password=False))
    try:
        _check_catalog(engine)
        try:
            db.migrate(engine)
        except Exception as exc:  # the live catalog is untouched: say why, without a traceback
            raise BackupError(f"the backup's database cannot be migrated to this version: {exc}") from exc
    finally:
        engine.dispose()


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d_%H%M%S")


def _free_path(path: Path) -> Path:
    while path.exists() or Path(f"{path}-wal").exists():
        path = path.with_name(f"{path.name}_{secrets.token_hex(2)}")
    return path


# --- SQLite ---------------------------------------------------------------------------------------------


def _stage_sqlite(database: Path, target: Path) -> None:
    """Check the unpacked SQLite file, migrate it, and give it the live database's page size."""
    try:
        check = sqlite3.connect(database)
        try:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
    except sqlite3.Error as exc:
        raise Invalid(f"the backup's database is damaged or not a SQLite database: {exc}") from None
    if verdict != "ok":
        raise Invalid(f"the backup's database is damaged: {verdict}")
    _migrate_staged(f"sqlite:///{database}")
    if not target.exists():
        return
    live, staged = sqlite3.connect(target), sqlite3.connect(database, isolation_level=None)
    try:
        size = live.execute("PRAGMA page_size").fetchone()[0]
        if staged.execute("PRAGMA page_size").fetchone()[0] != size:  # a WAL database keeps its page size
            staged.execute("PRAGMA journal_mode=DELETE")
            staged.execute(f"PRAGMA page_size={int(size)}")
            staged.execute("VACUUM")
    except sqlite3.Error:
        pass  # the live database is damaged: _replace_sqlite moves it aside
    finally:
        live.close()
        staged.close()


def _refuse_busy(status: int, _remaining: int, _total: int) -> None:
    if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):  # after the busy timeout
        raise BackupError("the database is in use: stop the service, then restore again")


def _copy_sqlite(source: Path, target: Path) -> None:
    """Write the database ``source`` into ``target`` with SQLite's backup API: one write transaction on
    ``target``, which readers see whole or not at all, and which its WAL and locks take part in."""
    reader, writer = sqlite3.connect(source, timeout=10), sqlite3.connect(target, timeout=10)
    try:
        reader.backup(writer, progress=_refuse_busy)
        writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        writer.close()
        reader.close()


def _install_file(staged: Path, target: Path, kept: Path | None = None) -> None:
    """Put a copy of ``staged`` at ``target`` by a rename, moving what is there (with its WAL) to ``kept``."""
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.restoring")
    try:
        shutil.copyfile(staged, partial)
        if kept is not None:
            for suffix in ("-wal", ""):  # the journal first: it must never be replayed on the new file
                if Path(f"{target}{suffix}").exists():
                    os.replace(f"{target}{suffix}", f"{kept}{suffix}")
        Path(f"{target}-shm").unlink(missing_ok=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _replace_sqlite(staged: Path, target: Path, stamp: str) -> Path | None:
    """Put the staged database in the live one's place; where the previous one was kept, if there was one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        if Path(f"{target}-wal").exists():
            raise Invalid(f"{target}-wal is there without its database: move it away, then restore again")
        _install_file(staged, target)
        return None
    kept = _free_path(target.with_name(f"{target.name}.before-restore-{stamp}"))
    try:
        _copy_sqlite(target, kept)  # a consistent copy of the live database, with what its WAL holds
    except sqlite3.DatabaseError as exc:
        kept.unlink(missing_ok=True)
        if getattr(exc, "sqlite_errorcode", None) not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise BackupError(f"{target} cannot be copied aside ({exc}); nothing was replaced") from None
        _install_file(staged, target, kept)  # damaged: its files are moved aside as they are
        return kept
    try:
        _copy_sqlite(staged, target)
    except (sqlite3.Error, BackupError) as exc:
        kept.unlink(missing_ok=True)
        message = exc.message if isinstance(exc, BackupError) else f"{target} cannot be written: {exc}"
        raise BackupError(f"{message}; nothing was replaced") from None
    return kept


# --- PostgreSQL -----------------------------------------------------------------------------------------


def _admin(url: URL) -> psycopg.Connection:
    """A connection to the server's maintenance database (not the live one, which may be renamed)."""
    problem: Exception | None = None
    for name in ("postgres", "template1"):
        if name == url.database:
            continue
        try:
            address = url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
            return psycopg.connect(address, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            problem = exc
    raise BackupError(f"cannot connect to the server's postgres or template1 database: {problem}")


def _exists(admin: psycopg.Connection, name: str) -> bool:
    return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _name_beside(admin: psycopg.Connection, live: str, suffix: str) -> str:
    """A database name not taken yet: ``live`` (shortened to fit) followed by ``suffix``."""
    while True:
        room = PG_NAME_BYTES - len(suffix.encode())
        name = live.encode()[:room].decode(errors="ignore") + suffix
        if not _exists(admin, name):
            return name
        suffix += f"_{secrets.token_hex(2)}"


def _create_staging(admin: psycopg.Connection, live: str) -> str:
    """A new empty database beside ``live``, with its encoding and locale; its name."""
    staging = _name_beside(admin, live, f"_restore_{secrets.token_hex(4)}")
    statement = sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(staging))
    like = admin.execute(
        "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = %s",
        [live],
    ).fetchone()
    if like:
        statement += sql.SQL(" ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(*map(sql.Literal, like))
    try:
        admin.execute(statement)
    except psycopg.Error as exc:
        raise BackupError(f"cannot create a database to restore into (CREATEDB is needed): {exc}") from None
    return staging


def _end_sessions(admin: psycopg.Connection, names: list[str]) -> None:
    """End the other sessions on the databases ``names`` (restore is offline: the service is stopped)."""
    for (pid,) in admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()", [names]
    ).fetchall():
        with contextlib.suppress(psycopg.Error):  # not ours to end: the rename says so
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def _rename(admin: psycopg.Connection, name: str, new: str) -> None:
    admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(name), sql.Identifier(new)))


def _swap_databases(admin: psycopg.Connection, live: str, staging: str, stamp: str) -> str | None:
    """Rename ``live`` aside and ``staging`` to ``live``, in one transaction; the old one's new name."""
    kept = _name_beside(admin, live, f"_before_restore_{stamp}") if _exists(admin, live) else None
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        _end_sessions(admin, [live, staging])
        try:
            with admin.transaction():
                if kept:
                    _rename(admin, live, kept)
                _rename(admin, staging, live)
            return kept
        except psycopg.errors.ObjectInUse as exc:
            if attempt == SWAP_ATTEMPTS:
                raise BackupError(
                    f"{live} is still in use: stop the service, then restore again ({exc})"
                ) from None
            time.sleep(0.5)  # an ended session takes a moment to go
        except psycopg.Error as exc:
            raise BackupError(f"cannot swap the restored database in: {exc}") from None
    raise AssertionError("not reached")


def _replace_postgres(settings: Settings, dump: Path, stamp: str) -> str | None:
    """Restore ``dump`` into a new database, check and migrate it, and swap it in for the live one."""
    url = make_url(settings.database_url)
    live = url.database or ""
    with _admin(url) as admin:
        staging = _create_staging(admin, live)
        swapped = False
        try:
            try:
                _run(
                    [
                        "pg_restore",
                        "--exit-on-error",
                        "--single-transaction",
                        "--no-owner",
                        f"--dbname={_libpq_url(settings, staging)}",
                        str(dump),
                    ],
                    "restore",
                )
            except BackupError as exc:
                raise BackupError(f"the backup's database cannot be restored: {exc.message}") from None
            _migrate_staged(url.set(database=staging))
            kept = _swap_databases(admin, live, staging, stamp)
            swapped = True
        finally:
            if not swapped:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(staging))
                )
    return kept


# --- restore --------------------------------------------------------------------------------------------


def _replace_uploads(settings: Settings, restored: Path, stamp: str) -> Path | None:
    """Put the unpacked uploads in place; the path the previous ones were moved to. The uploads dir may
    be on another file system (``CATALOG_UPLOADS_DIR``, shared by several nodes): the unpacked files
    are first moved beside it, and then renamed into place."""
    uploads = settings.uploads_dir
    uploads.parent.mkdir(parents=True, exist_ok=True)
    staged = None
    if restored.is_dir():
        staged = _free_path(uploads.with_name(f".{uploads.name}.restoring-{stamp}"))
        shutil.move(restored, staged)  # a rename on one file system, else a copy
    kept = None
    if uploads.is_dir() and not any(uploads.iterdir()):
        uploads.rmdir()
    elif uploads.exists():
        kept = _free_path(uploads.with_name(f"{uploads.name}.before-restore-{stamp}"))
        os.replace(uploads, kept)
    if staged is not None:
        os.replace(staged, uploads)
    return kept


def restore(settings: Settings, source: Path) -> Restored:
    """Replace the database and uploads with those of the archive ``source``, migrated to this version,
    and rebuild the index. Nothing is replaced before the backup's database is checked and migrated;
    the previous database and uploads are kept (see the module's doc)."""
    from catalog.indexing.indexer import Indexer  # the index is rebuilt last

    try:
        archive = tarfile.open(source, "r")  # noqa: SIM115  (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise Invalid(f"{source} cannot be read as a backup: {exc}") from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stamp = _stamp()
    kept: list[Path | str | None] = []
    try:
        with archive, tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".restore-") as folder:
            work = Path(folder)
            manifest = _read_manifest(archive, "sqlite" if settings.is_sqlite else "postgresql")
            database = _unpack(archive, manifest, work)
            if settings.is_sqlite:
                _stage_sqlite(database, _sqlite_path(settings))
                kept.append(_replace_sqlite(database, _sqlite_path(settings), stamp))
            else:
                kept.append(_replace_postgres(settings, database, stamp))
            kept.append(_replace_uploads(settings, work / UPLOADS, stamp))
    except OSError as exc:  # a full disk, a folder in the way, a permission
        raise BackupError(f"restore failed: {exc}") from exc
    engine = db.make_engine(settings.database_url)
    try:
        Indexer(engine, settings.index_dir).rebuild()
    except Exception as exc:
        raise BackupError(
            f"the catalog was restored, but its index was not rebuilt ({exc}): run catalog reindex"
        ) from exc
    finally:
        engine.dispose()
    return Restored(manifest, [str(old) for old in kept if old])
