"""Restoring a PostgreSQL dump: a staging database beside the live one (its owner, settings and
grants), the restoring user's access checked, and the swap by renames; or, without CREATEDB, in place."""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import URL, make_url

from catalog.backup.common import conninfo, libpq_url, run
from catalog.backup.schema import check_catalog_revision, migrate_staged, revision_order
from catalog.errors import BackupError
from catalog.settings import Settings

PG_NAME_BYTES = 63  # PostgreSQL's longest identifier
SWAP_ATTEMPTS = 10  # PostgreSQL: tries to end the sessions on the live database and rename it


def _admin(url: URL) -> psycopg.Connection:
    """A connection to the server's maintenance database (not the live one, which may be renamed)."""
    problem: Exception | None = None
    for name in ("postgres", "template1"):
        if name == url.database:
            continue
        try:
            return psycopg.connect(conninfo(url.set(database=name)), autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            problem = exc
    raise BackupError(f"cannot connect to the server's postgres or template1 database: {problem}")


def _leftover_staging(admin: psycopg.Connection, live: str) -> list[str]:
    """The staging databases of earlier restores of ``live`` that were interrupted
    (``<live>_restore_<random>``, ``live`` shortened to fit), not the kept ``<live>_before_restore_…``."""
    found = []
    for (name,) in admin.execute(
        "SELECT datname FROM pg_database WHERE position('_restore_' in datname) > 0"
    ).fetchall():
        match = re.fullmatch(r"(.*)_restore_[0-9a-f]{8}(?:_[0-9a-f]{4})*", name)
        if match is None:
            continue
        prefix = match[1]
        whole = prefix == live
        shortened = live.startswith(prefix) and len(name.encode()) >= PG_NAME_BYTES - 3
        if (whole or shortened) and prefix:
            found.append(name)
    return found


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


def _copy_database_settings(admin: psycopg.Connection, live: str, staging: str) -> list[str]:
    """Give ``staging`` the settings (``ALTER DATABASE … SET``, ``ALTER ROLE … IN DATABASE … SET``) and
    the grants (CONNECT, TEMPORARY, CREATE) of ``live``, as far as this user may; what may not be
    copied is left at its default, and said: the statements not run, with why."""
    skipped: list[str] = []
    settings = admin.execute(
        "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
        " LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE d.datname = %s",
        [live],
    ).fetchall()
    for role, config in settings:

        def target(database: str, role: str | None = role) -> sql.Composable:
            if role is None:
                return sql.SQL("ALTER DATABASE {}").format(sql.Identifier(database))
            return sql.SQL("ALTER ROLE {} IN DATABASE {}").format(
                sql.Identifier(role), sql.Identifier(database)
            )

        for item in config or []:
            name, _, value = item.partition("=")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
                continue
            try:
                with admin.transaction():
                    # the value as the server parses it (lists and quoting included), then taken as it is
                    admin.execute("SELECT set_config(%s, %s, true)", [name, value])
                    admin.execute(target(staging) + sql.SQL(" SET {} FROM CURRENT").format(sql.SQL(name)))
            except psycopg.Error as exc:  # said, with the statement to run on the restored database
                statement = target(live) + sql.SQL(" SET {} = {}").format(sql.SQL(name), sql.Literal(value))
                skipped.append(f"{statement.as_string(admin)} ({_first_line(exc)})")
    grants = admin.execute(
        "SELECT a.grantee, pg_get_userbyid(a.grantee), a.privilege_type, a.is_grantable"
        " FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = %s AND a.grantee <> d.datdba",
        [live],
    ).fetchall()
    if not admin.execute(
        "SELECT 1 FROM pg_database WHERE datname = %s AND datacl IS NOT NULL", [live]
    ).fetchone():
        return skipped  # the default grants, which the new database has too
    try:
        with admin.transaction():
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
    except psycopg.Error as exc:
        skipped.append(f"the grants on the database {live} ({_first_line(exc)})")
    return skipped


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


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
    """Check that the restoring URL (``settings.database_url``, with ``database``) can read and write
    every table of ``database`` (a read, the privileges, and a write that is rolled back)."""
    denied: list[str] = []
    try:
        with psycopg.connect(libpq_url(settings, database), connect_timeout=10) as connection:
            user = connection.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]  # one row, always
            denied = [row[0] for row in connection.execute(_NOT_READ_AND_WRITTEN)]
            if not denied:
                connection.execute("SELECT id FROM data_product LIMIT 1")
                connection.execute("UPDATE alembic_version SET version_num = version_num")
            connection.rollback()
    except psycopg.Error as exc:
        problem = _first_line(exc)
        raise BackupError(
            f"the restoring database user cannot read and write the restored database ({problem});"
            " nothing was replaced"
        ) from None
    if denied:
        raise BackupError(
            f"the restoring database user {user} may not read and write {', '.join(denied[:5])} in the"
            " restored database; nothing was replaced"
        )


def _dump_revision(dump: Path) -> str | None:
    """The schema revision in the dump's ``alembic_version`` ("" when it holds none); None when the dump
    has no such table."""
    try:
        script = run(["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(dump)], "read")
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
        with psycopg.connect(libpq_url(settings), connect_timeout=10) as connection:
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


class PostgresRestore:
    """Restoring a PostgreSQL dump: staged in a new database and swapped in, or, for a user that may not
    create databases, in place (one transaction)."""

    def __init__(self, settings: Settings, dump: Path, stamp: str) -> None:
        self.settings, self.dump, self.stamp = settings, dump, stamp
        self.url = make_url(settings.database_url)
        self.live = self.url.database or ""
        self.admin = _admin(self.url)
        self.user = str(self.admin.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]  # one row, always
        self.role: str | None = None  # the live database's owner, when that is not this user
        self.staging: str | None = None
        self.in_place = False
        self.swapped = False
        self.not_copied: list[str] = []  # the live database's settings the staged one did not get

    def drop_leftovers(self) -> list[str]:
        """Drop the staging databases that earlier interrupted restores left; what was dropped."""
        dropped = []
        for name in _leftover_staging(self.admin, self.live):
            with contextlib.suppress(psycopg.Error):  # in use, or not ours to drop: left
                self.admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
                dropped.append(f"the database {name}")
        return dropped

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
            run(
                [
                    "pg_restore",
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-owner",
                    *options,
                    *role,
                    f"--dbname={libpq_url(self.settings, database)}",
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
        self.not_copied = _copy_database_settings(self.admin, self.live, self.staging)
        self._restore_into(self.staging)
        migrate_staged(self.url.set(database=self.staging), self.role)
        _check_service(self.settings, self.staging)

    def _check_in_place(self) -> None:
        """Refuse, before the live database is touched, a dump that is no catalog's, of a revision this
        version does not know, or older than the live database's (its later tables would stay)."""
        revision = check_catalog_revision(_dump_revision(self.dump))
        live, order = _live_revision(self.settings), revision_order()
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
            migrate_staged(self.url, self.role)

    @property
    def notes(self) -> list[str]:
        notes = [
            f"a setting of the previous database was not copied to the restored one (set it again as a"
            f" superuser): {statement}"
            for statement in self.not_copied
        ]
        if self.in_place:
            notes.append(
                f"{self.user} may not create databases (CREATEDB), so the backup was restored in place, in"
                " one transaction: the previous database was not kept"
            )
        return notes
