"""Column helpers shared by the table models."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Aware UTC now: every timestamp column stores UTC."""
    return dt.datetime.now(dt.UTC)
