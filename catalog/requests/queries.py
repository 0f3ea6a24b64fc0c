"""Reads of access requests that other packages need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.listings.states import public_sql
from catalog.products.models import DataProduct
from catalog.requests.models import AccessRequest, RequestEvent, overdue_sql


def request_counts_by_provider(
    session: Session, start: dt.datetime, end: dt.datetime, state: str | None
) -> dict[int, int]:
    """Access requests per providing organization made in [start, end) (``state`` None), or that
    reached ``state`` in it."""
    query = select(DataProduct.provider_id, func.count(func.distinct(AccessRequest.id))).join(
        DataProduct, col(DataProduct.id) == AccessRequest.product_id
    )
    if state is None:
        query = query.where(AccessRequest.created_at >= start, AccessRequest.created_at < end)
    else:
        query = query.join(RequestEvent, col(RequestEvent.request_id) == AccessRequest.id).where(
            RequestEvent.to_status == state, RequestEvent.at >= start, RequestEvent.at < end
        )
    return dict(session.exec(query.group_by(col(DataProduct.provider_id))).all())


def request_counts_by_public_product(session: Session) -> list[tuple[str, int]]:
    """How many access requests each public (listed or in publicity) product received, by slug."""
    query = (
        select(DataProduct.slug, func.count())
        .join(AccessRequest, col(AccessRequest.product_id) == DataProduct.id)
        .where(public_sql(DataProduct))
        .group_by(col(DataProduct.slug))
    )
    return list(session.exec(query).all())


# --- for the figures ------------------------------------------------------------------------------
def count_by_status(session: Session) -> dict[str, int]:
    """How many access requests are in each state (states without any are left out)."""
    rows = session.exec(select(AccessRequest.status, func.count()).group_by(col(AccessRequest.status)))
    return dict(rows.all())


def count_reached(session: Session, state: str) -> int:
    """How many access requests have reached ``state`` at some time."""
    query = select(func.count(func.distinct(RequestEvent.request_id))).where(RequestEvent.to_status == state)
    return session.exec(query).one()


def creation_times(session: Session) -> dict[int, dt.datetime]:
    """When each access request was made, by its id."""
    rows = session.exec(select(AccessRequest.id, AccessRequest.created_at))
    return {request_id: at for request_id, at in rows if request_id is not None}


def first_moves_to(session: Session, states: Iterable[str]) -> dict[int, dt.datetime]:
    """When each access request first moved to one of ``states``, by its id (those never moved there
    left out)."""
    first: dict[int, dt.datetime] = {}
    for request_id, at in session.exec(
        select(RequestEvent.request_id, RequestEvent.at)
        .where(col(RequestEvent.to_status).in_(tuple(states)))
        .order_by(col(RequestEvent.id))
    ):
        first.setdefault(request_id, at)
    return first


def count_overdue(session: Session, now: dt.datetime) -> int:
    """How many access requests wait past their answer date at ``now``."""
    return session.exec(select(func.count()).select_from(AccessRequest).where(overdue_sql(now))).one()
