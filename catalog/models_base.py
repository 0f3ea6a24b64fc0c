"""Column helpers shared by the table models."""

from __future__ import annotations

import datetime as dt

# The largest id an integer column holds on every backend (PostgreSQL's integer has 32 bits, SQLite's
# 64): a larger id asked for names no row, and must not reach the database, which would refuse it.
MAX_ID = 2**31 - 1


def utcnow() -> dt.datetime:
    """Aware UTC now: every timestamp column stores UTC."""
    return dt.datetime.now(dt.UTC)
