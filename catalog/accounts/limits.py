"""How much one account may write in an hour where each write reaches other people (a message in a
request's thread, an objection to a listing, and the notifications and mails they set off): counted
from the rows themselves, so every worker and node sees the same count and nothing is kept besides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from catalog.errors import TooManyRequests
from catalog.i18n import N_
from catalog.models_base import utcnow

MESSAGES_PER_HOUR = 30  # messages in request threads, per account
OBJECTIONS_PER_HOUR = 5  # objections to listings in publicity, per account


def check_hourly(session: Session, author: Any, at: Any, user_id: int | None, limit: int) -> None:
    """429 when the account ``user_id`` wrote ``limit`` rows or more in the last hour, by the columns
    naming a row's author and its time."""
    since = utcnow() - dt.timedelta(hours=1)
    written = session.exec(select(func.count()).where(author == user_id, at > since)).one()
    if written >= limit:
        raise TooManyRequests(N_("You have written a lot in the last hour: wait a while and try again."))
