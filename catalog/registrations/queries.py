"""Reads of registrations other packages ask: an item's registration for its page, and whether a
product may take requests."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from catalog.authorizations.queries import today
from catalog.errors import RegistrationLapsed
from catalog.i18n import N_
from catalog.registrations.models import ActPublic, Registration, RegistrationSummary
from catalog.registrations.states import RegistrationStatus, renewal_open, status_of


def act_public(row: Registration) -> ActPublic:
    return ActPublic(
        act=row.act,
        registered_at=row.registered_at,
        version=row.version,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        fingerprint=row.fingerprint,
        reason=row.reason,
    )


def summarize(rows: Sequence[Registration]) -> RegistrationSummary:
    """A code's acts (oldest first) as the item's registration."""
    last = rows[-1]
    on = today()
    return RegistrationSummary(
        code=last.code,
        status=status_of(last.act, last.valid_until, on),
        valid_from=last.valid_from,
        valid_until=last.valid_until,
        renewal_open=renewal_open(last.act, last.valid_until, on),
        acts=[act_public(r) for r in reversed(rows)],
    )


def registrations_of(
    session: Session, kind: str, item_ids: Sequence[int | None]
) -> dict[int, RegistrationSummary]:
    """Each item's current registration (its latest code), by the item's id; the snapshots are not read."""
    by_item: dict[int, list[Registration]] = {}
    rows = session.exec(
        select(Registration)
        .options(defer(Registration.snapshot))  # type: ignore[arg-type]
        .where(Registration.kind == kind, col(Registration.item_id).in_(item_ids))
        .order_by(col(Registration.id))
    )
    for row in rows:
        acts = by_item.setdefault(row.item_id, [])
        if acts and acts[-1].code != row.code:  # registered again under a new code: that one counts
            acts.clear()
        acts.append(row)
    return {item_id: summarize(rows) for item_id, rows in by_item.items()}


def check_registration(session: Session, product_id: int | None) -> None:
    """409 when the product's registration has expired or been cancelled: it takes no new requests
    until it is renewed (a product listed before registrations were kept has none, and is not held)."""
    found = registrations_of(session, "product", [product_id]).get(product_id or 0)
    if found is not None and found.status in (RegistrationStatus.EXPIRED, RegistrationStatus.CANCELLED):
        message = N_("The product's registration has expired: it takes no new requests until it is renewed.")
        raise RegistrationLapsed(message, fields={"product_id": message})
