"""Reads of access requests that other packages need."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.listings.states import public_sql
from catalog.products.models import DataProduct
from catalog.requests.models import AccessRequest, RequestEvent


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
