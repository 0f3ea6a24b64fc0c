"""What the backup modules share: ``BackupError``, the database's path and URL as the tools take
them, running a PostgreSQL tool, and the time stamp and free names of what restore stages and keeps."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import make_url

from catalog.errors import CatalogError
from catalog.settings import Settings

PG_TIMEOUT = 30 * 60  # seconds pg_dump and pg_restore may take


class BackupError(CatalogError):
    code = "backup_failed"
    status = 500


def sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database or "")


def libpq_url(settings: Settings, database: str | None = None) -> str:
    """The database URL as pg_dump and pg_restore take it (no SQLAlchemy driver name), of the service's
    database or of ``database`` on the same server."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    return (url.set(database=database) if database else url).render_as_string(hide_password=False)


def run(args: list[str], what: str) -> str:
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


def time_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d_%H%M%S")


def free_path(path: Path) -> Path:
    while path.exists() or Path(f"{path}-wal").exists():
        path = path.with_name(f"{path.name}_{secrets.token_hex(2)}")
    return path
