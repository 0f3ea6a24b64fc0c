"""Engine, sessions and migrations. SQLite runs in WAL mode with foreign keys on; PostgreSQL
(``postgresql+psycopg://…``) runs the same migrations at its default isolation, read committed."""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, inspect, orm, text, update
from sqlmodel import Session, create_engine, select

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# Set in ``session.info`` when a flush of the session changed searchable entities, by the ChangeLog hooks
# (``catalog.indexing.hooks``, installed by the entry points), so that a door can bring its index up to
# date before it answers.
CHANGES_LOGGED = "catalog.changes_logged"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(database_url: str) -> Engine:
    """Create the engine for ``database_url``; SQLite files get their folder and pragmas."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(database_url, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def transaction_lock(session: orm.Session, name: str) -> None:
    """Hold the lock ``name`` until the session's transaction ends, so that writes which read before
    they write (the next listing number, the ChangeLog's order) do not interleave. SQLite has one
    writer at a time already; PostgreSQL takes a transaction-level advisory lock."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(name.encode())})


def next_number(session: Session, column: Any, prefix: str, width: int) -> str:
    """The next number of a series of codes ``<prefix><n>`` held in ``column`` (listing numbers,
    authorization and registration codes): one more than the greatest, ``n`` zero-padded to ``width``.
    Two writers at once take two numbers (the series' lock); numbers never come back, as rows with
    codes are never deleted."""
    transaction_lock(session, f"catalog.series.{prefix}")
    taken = session.exec(select(column).where(column.like(f"{prefix}%")))
    # numbers only: a code given by hand in the series (…-001-B) is no number of it
    numbers = [int(tail) for code in taken if (tail := str(code)[len(prefix) :]).isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


def claim_status(session: Session, row: Any, before: str, after: str) -> bool:
    """Move ``row`` (a model with ``id`` and ``status``) from ``before`` to ``after`` only if it is still
    ``before`` when written, and read it again: of two steps taken at once (an approval and a rejection,
    on two servers) one wins, the other gets False and sees the state it lost to. The winner's other
    changes go through the ORM, whose flush notes the row for the ChangeLog (``indexing/hooks.py``)."""
    model = type(row)
    moved = session.exec(
        update(model)
        .where(model.id == row.id, model.status == before)
        .values(status=after)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(row)  # the winner's row as claimed (locked), or the state the loser lost to
    return bool(moved)


def write_on_commit(session: Session, target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` when ``session`` commits, and not at all if it rolls back: an
    upload and the row that names it are kept together or not at all. The bytes wait in a
    temporary file beside the target, so the commit only renames it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}-{secrets.token_hex(8)}.tmp")
    temporary.write_bytes(content)
    event.listen(session, "after_commit", lambda _s: temporary.replace(target), once=True)
    event.listen(session, "after_rollback", lambda _s: temporary.unlink(missing_ok=True), once=True)


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (``catalog init``)."""
    command.upgrade(_alembic_config(engine), "head")


def is_initialized(engine: Engine) -> bool:
    """True when the schema has been created."""
    return inspect(engine).has_table("alembic_version")
