"""Backups: ``catalog backup FILE`` and ``catalog restore FILE``.

A backup is one tar archive holding ``manifest.json``, the database and the uploaded files (samples,
request attachments; not the entries of the uploads folder whose names start with ``.``, which are
restore's own). The database part is a consistent online copy: SQLite's backup API copies the file
page by page from one read transaction while the service goes on writing; PostgreSQL's part is
``pg_dump --format=custom`` (one snapshot). The search index is not in the archive: it is built again
from the database on restore, so it always matches what was restored.

Restoring is an offline operation: it refuses to start while a server of this node runs (one holds
the index writer lock, ``indexing/lock.py``; restore takes it and holds it to the end). The live
catalog is not touched until the backup's database is complete, checked and migrated beside it:

1. the archive is read and its manifest checked: the backend, the database member, and a schema
   revision that this version's migrations know (a backup of a newer version is refused);
2. the database and the uploads are unpacked into a work folder inside the data dir;
3. the database is staged and migrated to this version: on SQLite the unpacked copy (integrity check,
   ``alembic_version``); on PostgreSQL a new empty database ``<db>_restore_<random>`` owned by the live
   database's owner, with its settings and grants (``CREATE DATABASE … OWNER … TEMPLATE template0``),
   filled by ``pg_restore --single-transaction --exit-on-error`` as that owner (``--role``), and
   checked to be readable and writable with the service's own URL;
4. the backup's uploads are moved into ``<uploads>/.restoring-<time>`` (which also shows that the
   uploads folder is writable: the folder itself is never renamed, as it may be a mount point);
5. only then is the database swapped in. SQLite: the live database is first copied to
   ``<file>.before-restore-<time>``, then the staged copy is written into it with SQLite's backup API
   (one transaction, so the live file and its WAL are never left half-replaced). PostgreSQL: the
   sessions still connected to the live database are ended, and in one transaction the live database
   is renamed ``<db>_before_restore_<time>`` and the staged one takes its name;
6. the uploads folder's entries are moved into ``<uploads>/.before-restore-<time>`` and the staged
   ones into their place, and the index is rebuilt.

A PostgreSQL user that may not create databases (no ``CREATEDB``) restores in place instead: after the
checks of step 3 that can be made on the dump (a catalog's, of a known revision, not older than the
live database's: in place, the tables of later migrations would stay), ``pg_restore --clean
--if-exists --single-transaction`` replaces the live database's objects in one transaction, which
then is migrated; the previous database is not kept. Restoring needs a user that owns the database,
is a member of its owner role, or is a superuser.

A failure before the swap leaves the live catalog as it was (a staged PostgreSQL database and the
staged uploads are removed). After it, the restore goes on: what was not done (uploads not swapped,
an index not rebuilt) is named in the result, beside what was kept; the operator drops what was kept
once the restored catalog is right.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
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
from sqlalchemy import URL, Engine, event, inspect, make_url, text

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


def _run(args: list[str], what: str) -> str:
    """Run a PostgreSQL tool; its output."""
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
    return done.stdout


def _not_restores_own(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Leave out the uploads folder's entries whose names start with "." (what restore staged or kept)."""
    parts = info.name.split("/")
    return None if len(parts) > 1 and parts[1].startswith(".") else info


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
                archive.add(settings.uploads_dir, UPLOADS, filter=_not_restores_own)
        os.replace(partial, target)
    return manifest


@dataclass
class Restored:
    """What ``restore`` did: the archive's manifest, where the previous catalog was kept, notes on how
    it was restored, and what was not done after the database was swapped in (empty when all was)."""

    manifest: dict[str, Any]
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    indexed: bool = False


def _revision_order() -> list[str]:
    """The schema revisions this version's migrations know, the newest first."""
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    return [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]


def known_revisions() -> set[str]:
    """The schema revisions this version's migrations know."""
    return set(_revision_order())


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


def _engine_as(url: str | URL, role: str | None = None) -> Engine:
    """An engine on ``url`` whose sessions act as ``role`` (``SET ROLE``), so that what they create is
    that role's."""
    engine = db.make_engine(url if isinstance(url, str) else url.render_as_string(hide_password=False))
    if role:

        def set_role(connection: Any, _record: Any) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            connection.commit()

        event.listen(engine, "connect", set_role)
    return engine


def _migrate_staged(url: str | URL, role: str | None = None) -> None:
    """Check the staged database and migrate it to this version (as ``role``), before it replaces
    anything."""
    engine = _engine_as(url, role)
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


def _create_staging(admin: psycopg.Connection, live: str, owner: str) -> str:
    """A new empty database beside ``live``, owned by ``owner``, with its encoding and locale; its name.
    Raises psycopg's error when it cannot be created (``InsufficientPrivilege`` without CREATEDB)."""
    staging = _name_beside(admin, live, f"_restore_{secrets.token_hex(4)}")
    statement = sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(
        sql.Identifier(staging), sql.Identifier(owner)
    )
    like = admin.execute(
        "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = %s",
        [live],
    ).fetchone()
    if like:
        statement += sql.SQL(" ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(*map(sql.Literal, like))
    admin.execute(statement)
    return staging


def _copy_database_settings(admin: psycopg.Connection, live: str, staging: str) -> None:
    """Give ``staging`` the settings (``ALTER DATABASE … SET``, ``ALTER ROLE … IN DATABASE … SET``) and
    the grants (CONNECT, TEMPORARY, CREATE) of ``live``, as far as this user may; what may not be
    copied is left at its default."""
    settings = admin.execute(
        "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
        " LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE d.datname = %s",
        [live],
    ).fetchall()
    for role, config in settings:
        target = sql.SQL("ALTER DATABASE {}").format(sql.Identifier(staging))
        if role is not None:
            target = sql.SQL("ALTER ROLE {} IN DATABASE {}").format(
                sql.Identifier(role), sql.Identifier(staging)
            )
        for item in config or []:
            name, _, value = item.partition("=")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
                continue
            with contextlib.suppress(psycopg.Error), admin.transaction():
                # the value as the server parses it (lists and quoting included), then taken as it is
                admin.execute("SELECT set_config(%s, %s, true)", [name, value])
                admin.execute(target + sql.SQL(" SET {} FROM CURRENT").format(sql.SQL(name)))
    grants = admin.execute(
        "SELECT a.grantee, pg_get_userbyid(a.grantee), a.privilege_type, a.is_grantable"
        " FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = %s AND a.grantee <> d.datdba",
        [live],
    ).fetchall()
    if not admin.execute(
        "SELECT 1 FROM pg_database WHERE datname = %s AND datacl IS NOT NULL", [live]
    ).fetchone():
        return  # the default grants, which the new database has too
    with contextlib.suppress(psycopg.Error), admin.transaction():
        admin.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(staging)))
        for grantee, name, privilege, grantable in grants:
            admin.execute(
                sql.SQL("GRANT {} ON DATABASE {} TO {}{}").format(
                    sql.SQL(privilege),
                    sql.Identifier(staging),
                    sql.SQL("PUBLIC") if grantee == 0 else sql.Identifier(name),
                    sql.SQL(" WITH GRANT OPTION" if grantable else ""),
                )
            )


_NOT_READ_AND_WRITTEN = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S') AND NOT CASE c.relkind
    WHEN 'S' THEN has_sequence_privilege(c.oid, 'USAGE') AND has_sequence_privilege(c.oid, 'UPDATE')
    ELSE has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')
        AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE')
    END
ORDER BY 1
"""


def _check_service(settings: Settings, database: str) -> None:
    """Check that the service's own URL can read and write every table of ``database`` (a read, the
    privileges, and a write that is rolled back)."""
    denied: list[str] = []
    try:
        with psycopg.connect(_libpq_url(settings, database), connect_timeout=10) as connection:
            user = connection.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
            denied = [row[0] for row in connection.execute(_NOT_READ_AND_WRITTEN)]
            if not denied:
                connection.execute("SELECT id FROM data_product LIMIT 1")
                connection.execute("UPDATE alembic_version SET version_num = version_num")
            connection.rollback()
    except psycopg.Error as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(
            f"the service's database user cannot read and write the restored database ({problem});"
            " nothing was replaced"
        ) from None
    if denied:
        raise BackupError(
            f"the service's database user {user} may not read and write {', '.join(denied[:5])} in the"
            " restored database; nothing was replaced"
        )


def _dump_revision(dump: Path) -> str | None:
    """The schema revision in the dump's ``alembic_version`` ("" when it holds none); None when the dump
    has no such table."""
    try:
        script = _run(["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(dump)], "read")
    except BackupError as exc:
        raise BackupError(f"the backup's database cannot be restored: {exc.message}") from None
    lines = script.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            row = lines[number + 1] if number + 1 < len(lines) else "\\."
            return "" if row == "\\." else row.split("\t", 1)[0]
    return None


def _live_revision(settings: Settings) -> str | None:
    """The live database's schema revision (None when it has no catalog)."""
    try:
        with psycopg.connect(_libpq_url(settings), connect_timeout=10) as connection:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    except psycopg.Error as exc:
        raise BackupError(f"cannot read the live database's schema revision: {exc}") from None
    return str(row[0]) if row else None


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


class _Postgres:
    """Restoring a PostgreSQL dump: staged in a new database and swapped in, or, for a user that may not
    create databases, in place (one transaction)."""

    def __init__(self, settings: Settings, dump: Path, stamp: str) -> None:
        self.settings, self.dump, self.stamp = settings, dump, stamp
        self.url = make_url(settings.database_url)
        self.live = self.url.database or ""
        self.admin = _admin(self.url)
        self.user = str(self.admin.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]
        self.role: str | None = None  # the live database's owner, when that is not this user
        self.staging: str | None = None
        self.in_place = False
        self.swapped = False

    def close(self) -> None:
        """Drop the staged database unless it was swapped in."""
        try:
            if self.staging and not self.swapped:
                with contextlib.suppress(psycopg.Error):
                    self.admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(self.staging)
                        )
                    )
        finally:
            self.admin.close()

    def _restore_into(self, database: str, *options: str) -> None:
        role = [f"--role={self.role}"] if self.role else []  # what is created is the owner's
        try:
            _run(
                [
                    "pg_restore",
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-owner",
                    *options,
                    *role,
                    f"--dbname={_libpq_url(self.settings, database)}",
                    str(self.dump),
                ],
                "restore",
            )
        except BackupError as exc:
            raise BackupError(f"the backup's database cannot be restored: {exc.message}") from None

    def stage(self) -> None:
        """Restore the dump into a new database owned by the live one's owner, migrate and check it;
        without CREATEDB, only check what can be checked before restoring in place."""
        row = self.admin.execute(
            "SELECT r.rolname, pg_has_role(current_user, r.oid, 'MEMBER') FROM pg_database d"
            " JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = %s",
            [self.live],
        ).fetchone()
        owner = str(row[0]) if row else self.user
        if row and not row[1]:
            raise BackupError(
                f"restore must be run as the owner of the database {self.live} ({owner}), a member of that"
                f" role, or a superuser; {self.user} is none of these (CATALOG_DATABASE_URL)"
            )
        self.role = owner if owner != self.user else None
        try:
            self.staging = _create_staging(self.admin, self.live, owner)
        except psycopg.errors.InsufficientPrivilege as exc:
            if row is None:
                raise BackupError(
                    f"cannot create the database {self.live} (CREATEDB is needed): {exc}"
                ) from None
            self.in_place = True
            self._check_in_place()
            return
        except psycopg.Error as exc:
            raise BackupError(f"cannot create a database to restore into: {exc}") from None
        _copy_database_settings(self.admin, self.live, self.staging)
        self._restore_into(self.staging)
        _migrate_staged(self.url.set(database=self.staging), self.role)
        _check_service(self.settings, self.staging)

    def _check_in_place(self) -> None:
        """Refuse, before the live database is touched, a dump that is no catalog's, of a revision this
        version does not know, or older than the live database's (its later tables would stay)."""
        revision = _dump_revision(self.dump)
        if revision is None:
            raise Invalid("the backup's database is not a catalog's (it has no alembic_version table)")
        _check_revision(revision, "database")
        live, order = _live_revision(self.settings), _revision_order()
        if live and (live not in order or order.index(revision) > order.index(live)):
            raise BackupError(
                f"this backup is of an older schema version ({revision}; the live database is at {live}):"
                " restored in place, the tables of later migrations would stay, so restoring it needs a"
                f" database user that may create databases (CREATEDB), which {self.user} may not;"
                " nothing was changed"
            )

    def swap(self) -> str | None:
        """Swap the staged database in (the name the previous one was kept under), or restore the dump
        into the live database in one transaction (nothing kept)."""
        if self.in_place:
            _end_sessions(self.admin, [self.live])
            self._restore_into(self.live, "--clean", "--if-exists")
            self.swapped = True
            return None
        assert self.staging is not None
        kept = _swap_databases(self.admin, self.live, self.staging, self.stamp)
        self.swapped = True
        return kept

    def finish(self) -> None:
        """After an in-place restore: migrate the restored database to this version."""
        if self.in_place:
            _migrate_staged(self.url, self.role)

    @property
    def note(self) -> str | None:
        if not self.in_place:
            return None
        return (
            f"{self.user} may not create databases (CREATEDB), so the backup was restored in place, in one"
            " transaction: the previous database was not kept"
        )


# --- restore --------------------------------------------------------------------------------------------


class _Uploads:
    """The uploads folder's swap, done inside it: the folder itself is never renamed (it may be a mount
    point shared by the nodes). Its entries whose names start with "." are restore's own."""

    def __init__(self, folder: Path, stamp: str) -> None:
        self.folder, self.stamp = folder, stamp
        self.staged: Path | None = None
        self.created = False

    def stage(self, restored: Path) -> None:
        """Move the backup's uploads (``restored``, if there are any) into ``.restoring-<time>``."""
        self.created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.staged = _free_path(self.folder / f".restoring-{self.stamp}")
        if restored.is_dir():
            shutil.move(restored, self.staged)  # a rename on one file system, else a copy
        else:
            self.staged.mkdir()

    def discard(self) -> None:
        """Remove what ``stage`` made (before the database swap: everything is as it was)."""
        if self.staged is not None:
            shutil.rmtree(self.staged, ignore_errors=True)
            self.staged = None
        if self.created:
            with contextlib.suppress(OSError):
                self.folder.rmdir()

    def swap(self) -> Path | None:
        """Move the live entries into ``.before-restore-<time>`` and the staged ones into their place;
        the folder the previous ones are kept in. On a failure, what was moved is moved back."""
        assert self.staged is not None
        live = sorted(entry for entry in self.folder.iterdir() if not entry.name.startswith("."))
        kept = _free_path(self.folder / f".before-restore-{self.stamp}") if live else None
        out: list[str] = []
        into: list[str] = []
        try:
            if kept is not None:
                kept.mkdir()
                for entry in live:
                    entry.rename(kept / entry.name)
                    out.append(entry.name)
            for entry in sorted(self.staged.iterdir()):
                if not entry.name.startswith("."):
                    entry.rename(self.folder / entry.name)
                    into.append(entry.name)
        except OSError as exc:
            raise UploadsNotSwapped(exc, self._undo(kept, out, into)) from exc
        shutil.rmtree(self.staged, ignore_errors=True)
        self.staged = None
        return kept

    def _undo(self, kept: Path | None, out: list[str], into: list[str]) -> bool:
        """Move back what ``swap`` moved; whether all of it went back."""
        whole = True
        for name in reversed(into):
            try:
                (self.folder / name).rename(self.staged / name)  # type: ignore[operator]
            except OSError:
                whole = False
        for name in reversed(out):
            try:
                (kept / name).rename(self.folder / name)  # type: ignore[operator]
            except OSError:
                whole = False
        if kept is not None and whole:
            with contextlib.suppress(OSError):
                kept.rmdir()
        return whole

    def problem(self, failure: UploadsNotSwapped) -> str:
        """What was not done, and where the uploads are."""
        if failure.undone:
            return (
                f"the uploads were not replaced ({failure.cause}): the previous ones are still in"
                f" {self.folder}, the backup's are in {self.staged}; move them in by hand"
            )
        return (
            f"the uploads were only partly replaced ({failure.cause}): the backup's are in {self.folder}"
            f" and {self.staged}, the previous ones in {self.folder} and its .before-restore-{self.stamp}"
        )


class UploadsNotSwapped(Exception):
    def __init__(self, cause: OSError, undone: bool) -> None:
        super().__init__(str(cause))
        self.cause, self.undone = cause, undone


def restore(settings: Settings, source: Path) -> Restored:
    """Replace the database and uploads with those of the archive ``source``, migrated to this version,
    and rebuild the index. Refused while a server of this node runs (it holds the index writer lock,
    which this takes and holds to the end). Nothing is replaced before the backup's database is checked
    and migrated and its uploads are staged; the previous database and uploads are kept (see the
    module's doc)."""
    from catalog.indexing.lock import WriterLock

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = WriterLock.for_index(settings.index_dir)
    if not lock.acquire():
        holder = lock.holder()
        running = f" (process {holder})" if holder else ""
        raise BackupError(f"a server is running on this data dir{running}: stop it, then restore again")
    try:
        return _restore(settings, source)
    finally:
        lock.release()


def _after_swap(restored: Restored, postgres: _Postgres | None, uploads: _Uploads) -> Restored:
    """Finish an in-place PostgreSQL restore and swap the uploads; what fails is noted in ``restored``."""
    if postgres is not None and postgres.note:
        restored.notes.append(postgres.note)
    try:
        if postgres is not None:
            postgres.finish()
    except Exception as exc:
        why = exc.message if isinstance(exc, CatalogError) else str(exc)
        restored.unfinished.append(f"the restored database was not migrated ({why}): run catalog init")
    try:
        kept_uploads = uploads.swap()
    except UploadsNotSwapped as failure:
        restored.unfinished.append(uploads.problem(failure))
    except OSError as exc:  # the live folder cannot be listed
        restored.unfinished.append(
            f"the uploads were not replaced ({exc}): the backup's are in {uploads.staged}"
        )
    else:
        if kept_uploads is not None:
            restored.kept.append(str(kept_uploads))
    return restored


def _restore(settings: Settings, source: Path) -> Restored:
    from catalog.indexing.indexer import Indexer  # the index is rebuilt last

    try:
        archive = tarfile.open(source, "r")  # noqa: SIM115  (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise Invalid(f"{source} cannot be read as a backup: {exc}") from None
    stamp = _stamp()
    uploads = _Uploads(settings.uploads_dir, stamp)
    with (
        archive,
        tempfile.TemporaryDirectory(
            dir=settings.data_dir, prefix=".restore-", ignore_cleanup_errors=True
        ) as folder,
    ):
        work = Path(folder)
        postgres: _Postgres | None = None
        try:  # up to the swap: a failure leaves everything as it was
            manifest = _read_manifest(archive, "sqlite" if settings.is_sqlite else "postgresql")
            database = _unpack(archive, manifest, work)
            if settings.is_sqlite:
                _stage_sqlite(database, _sqlite_path(settings))
                uploads.stage(work / UPLOADS)
                kept_database: Path | str | None = _replace_sqlite(database, _sqlite_path(settings), stamp)
            else:
                postgres = _Postgres(settings, database, stamp)
                postgres.stage()
                uploads.stage(work / UPLOADS)
                kept_database = postgres.swap()
        except BaseException as exc:
            uploads.discard()
            if isinstance(exc, OSError):  # a full disk, a folder in the way, a permission
                raise BackupError(f"restore failed: {exc}; nothing was replaced") from exc
            raise
        finally:
            if postgres is not None:
                postgres.close()
        # the database is the backup's now: what fails from here on is said, and the rest still done
        restored = _after_swap(
            Restored(manifest, [str(kept_database)] if kept_database else []), postgres, uploads
        )
    engine = db.make_engine(settings.database_url)
    try:
        Indexer(engine, settings.index_dir).rebuild()
        restored.indexed = True
    except Exception as exc:
        restored.unfinished.append(f"the index was not rebuilt ({exc}): run catalog reindex")
    finally:
        engine.dispose()
    return restored
