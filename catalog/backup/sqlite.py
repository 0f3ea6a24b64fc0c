"""Restoring a SQLite database: the unpacked copy checked and migrated, the live database copied aside,
and the staged one written into it."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from pathlib import Path

from catalog.backup.common import free_path
from catalog.backup.schema import migrate_staged
from catalog.errors import BackupError, Invalid


def stage_sqlite(database: Path, target: Path) -> None:
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
    migrate_staged(f"sqlite:///{database}")
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
        pass  # the live database is damaged: replace_sqlite moves it aside
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


def replace_sqlite(staged: Path, target: Path, stamp: str) -> Path | None:
    """Put the staged database in the live one's place; where the previous one was kept, if there was one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        if Path(f"{target}-wal").exists():
            raise Invalid(f"{target}-wal is there without its database: move it away, then restore again")
        _install_file(staged, target)
        return None
    kept = free_path(target.with_name(f"{target.name}.before-restore-{stamp}"))
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
