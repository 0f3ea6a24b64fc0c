"""Reads of the listing history that other packages need."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from catalog.listings.models import ListingEvent
from catalog.listings.states import ListingStatus


def ever_listed_ids(kind: str) -> SelectOfScalar[int]:
    """A subquery: the ids of the items of ``kind`` (product, dataset) with a listing behind them."""
    return select(ListingEvent.item_id).where(
        ListingEvent.kind == kind, ListingEvent.to_status == ListingStatus.LISTED
    )


def listings_and_delistings(session: Session, kind: str) -> dict[int, list[tuple[str, dt.datetime]]]:
    """Each item's moves to listed and to delisted, (state, moment), by the item's id."""
    events: dict[int, list[tuple[str, dt.datetime]]] = {}
    for item_id, status, at in session.exec(
        select(ListingEvent.item_id, ListingEvent.to_status, ListingEvent.at).where(
            ListingEvent.kind == kind,
            col(ListingEvent.to_status).in_((ListingStatus.LISTED, ListingStatus.DELISTED)),
        )
    ):
        events.setdefault(item_id, []).append((status, at))
    return events
