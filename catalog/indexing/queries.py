"""Reads of the ChangeLog that other packages need."""

from __future__ import annotations

from sqlmodel import Session, col, select

from catalog.indexing.models import ChangeLog


def newest_change(session: Session) -> tuple[int, str] | None:
    """The newest ChangeLog row's sequence number and mark (what tells it from another row of that
    number, in a restored database); None before the first change."""
    newest = session.exec(select(ChangeLog).order_by(col(ChangeLog.seq).desc()).limit(1)).first()
    if newest is None or newest.seq is None:
        return None
    return newest.seq, newest.mark
