"""What the backup modules share: ``BackupError``, the database's path and URL as the tools take
them, running a PostgreSQL tool, and the time stamp and free names of what restore stages and keeps."""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import URL, make_url

from catalog.errors import BackupError
from catalog.settings import Settings

PG_TIMEOUT = 30 * 60  # seconds pg_dump and pg_restore may take


def sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database or "")


def conninfo(url: URL) -> str:
    """``url`` as a libpq connection string (``key=value``, quoted: names with spaces or quotes stay
    whole, which a rendered URI does not), for psycopg and for pg_dump's and pg_restore's ``--dbname``."""
    options: dict[str, str | int | None] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    for key, value in url.query.items():
        options[key] = value if isinstance(value, str) else ",".join(value)
    from psycopg.conninfo import make_conninfo  # PostgreSQL's driver: only where a catalog uses it

    return make_conninfo("", **{key: value for key, value in options.items() if value is not None})


def libpq_url(settings: Settings, database: str | None = None) -> str:
    """The libpq connection string of the service's database or of ``database`` on the same server."""
    url = make_url(settings.database_url)
    return conninfo(url.set(database=database) if database else url)


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, what makes a child killed (SIGKILL) when this process dies, however it dies: a
    pg_restore must not go on and commit after the restore that started it was killed. None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None

    parent = os.getpid()

    def set_death_signal() -> None:  # in the child, before the tool starts: no lock, no allocation
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before that: the signal will not come
            os.kill(os.getpid(), signal.SIGKILL)

    return set_death_signal


def run(args: list[str], what: str) -> str:
    """Run a PostgreSQL tool; its output."""
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(f"{args[0]} is not installed: it is needed to {what} a PostgreSQL database")
    try:
        done = subprocess.run(
            [tool, *args[1:]],
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT,
            check=False,
            preexec_fn=_die_with_parent(),
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
