"""Column helpers shared by the table models."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

# The largest id an integer column holds on every backend (PostgreSQL's integer has 32 bits, SQLite's
# 64): a larger id asked for names no row, and must not reach the database, which would refuse it.
MAX_ID = 2**31 - 1


def utcnow() -> dt.datetime:
    """Aware UTC now: every timestamp column stores UTC."""
    return dt.datetime.now(dt.UTC)


class _Numbered(Protocol):
    @property
    def id(self) -> int | None: ...


def saved_id(row: _Numbered) -> int:
    """The id of a row the database has numbered (loaded, or added and flushed): an ``int``, where the
    model says ``int | None`` for the rows not written yet."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no id: it was not flushed")
    return row.id
