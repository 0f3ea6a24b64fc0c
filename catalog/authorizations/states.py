"""An authorization's states and terms, as the implementation rules (发改数据规〔2025〕27号) set them.

    active ─► suspended ─► active (reinstated)
      │           │
      └───────────┴─► revoked (final)
    active, past its end date ─► expired (no step: the calendar's)

Only an active authorization whose term has begun and not ended covers its datasets: a product of its
operator built on them may be submitted, approved and requested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from catalog.i18n import N_

MAX_TERM_YEARS = 5  # the rules' longest term of an authorization agreement
REMIND_DAYS = 60  # operators and administrators are told this many days before the end


class AuthorizationStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"  # never stored: an active one past its end date
    REVOKED = "revoked"


S = AuthorizationStatus
STORED = (S.ACTIVE, S.SUSPENDED, S.REVOKED)


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    label: str
    needs_reason: bool = True


STEPS: tuple[Step, ...] = (
    Step(S.ACTIVE, S.SUSPENDED, N_("Suspend")),
    Step(S.SUSPENDED, S.ACTIVE, N_("Reinstate"), needs_reason=False),
    Step(S.ACTIVE, S.REVOKED, N_("Revoke")),
    Step(S.SUSPENDED, S.REVOKED, N_("Revoke")),
)


def find_step(source: str, target: str) -> Step | None:
    return next((s for s in STEPS if s.source == source and s.target == target), None)


def steps_from(source: str) -> list[Step]:
    return [s for s in STEPS if s.source == source]


def effective_status(stored: str, ends_on: dt.date, today: dt.date) -> str:
    """The status the public sees: an active authorization past its end date has expired."""
    if stored == S.ACTIVE and ends_on < today:
        return S.EXPIRED
    return stored


def in_force(stored: str, starts_on: dt.date, ends_on: dt.date, today: dt.date) -> bool:
    """Whether it covers its datasets today."""
    return stored == S.ACTIVE and starts_on <= today <= ends_on


def ending_soon(stored: str, ends_on: dt.date, today: dt.date) -> bool:
    """In force and ending within ``REMIND_DAYS``: the operator should apply to renew."""
    return stored == S.ACTIVE and today <= ends_on <= today + dt.timedelta(days=REMIND_DAYS)


def latest_end(starts_on: dt.date) -> dt.date:
    """The last day a term begun on ``starts_on`` may run to: five years, the day before the date."""
    try:
        return starts_on.replace(year=starts_on.year + MAX_TERM_YEARS) - dt.timedelta(days=1)
    except ValueError:  # 29 February: five years on there is none
        return starts_on.replace(year=starts_on.year + MAX_TERM_YEARS, day=28)
