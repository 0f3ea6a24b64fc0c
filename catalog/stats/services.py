"""The catalog's figures: listed counts against the city's targets, by state and by sector."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.accounts.models import Organization
from catalog.datasets.models import Dataset
from catalog.listings.states import ListingStatus
from catalog.models_base import utcnow
from catalog.products.models import DataProduct
from catalog.requests.models import AccessRequest, RequestEvent
from catalog.sectors.services import list_sectors
from catalog.settings import Settings


def _by_status(session: Session, model: type[DataProduct] | type[Dataset]) -> dict[str, int]:
    rows = session.exec(select(model.status, func.count()).group_by(model.status)).all()
    counts = {status.value: 0 for status in ListingStatus}
    counts.update(dict(rows))
    return counts


def catalog_stats(session: Session, settings: Settings, today: dt.date | None = None) -> dict[str, Any]:
    """Headline figures: listed products and datasets against the targets, by state and by sector."""
    today = today or dt.date.today()
    products, datasets = _by_status(session, DataProduct), _by_status(session, Dataset)

    def block(counts: dict[str, int], target: int) -> dict[str, Any]:
        listed = counts[ListingStatus.LISTED]
        return {
            "listed": listed,
            "target": target,
            "progress": round(min(1.0, listed / target), 4),
            "remaining": max(0, target - listed),
            "by_status": counts,
            "total": sum(counts.values()),
        }

    return {
        "requests": request_figures(session),
        "products": block(products, settings.target_products),
        "datasets": block(datasets, settings.target_datasets),
        "deadline": settings.target_deadline.isoformat(),
        "days_to_deadline": (settings.target_deadline - today).days,
        "organizations": dict(
            session.exec(select(Organization.kind, func.count()).group_by(Organization.kind)).all()
        ),
        "by_sector": [
            {
                "sector": s.id,
                "name": s.name,
                "name_en": s.name_en,
                "products": s.products_listed,
                "datasets": s.datasets_listed,
            }
            for s in list_sectors(session)
        ],
    }


def request_figures(session: Session, now: dt.datetime | None = None) -> dict[str, Any]:
    """The access-request funnel: counts by state, how many got as far as approval and delivery,
    the rejection rate among decided requests, the median hours to the provider's first answer, and
    how many wait past their answer date."""
    now = now or utcnow()
    by_status = dict(
        session.exec(select(AccessRequest.status, func.count()).group_by(AccessRequest.status)).all()
    )
    reached = {
        target: session.exec(
            select(func.count(func.distinct(RequestEvent.request_id))).where(RequestEvent.to_status == target)
        ).one()
        for target in ("approved", "delivered", "rejected")
    }
    decided = reached["approved"] + reached["rejected"]
    created = dict(session.exec(select(AccessRequest.id, AccessRequest.created_at)).all())
    first_answers: dict[int, dt.datetime] = {}
    for request_id, at in session.exec(
        select(RequestEvent.request_id, RequestEvent.at)
        .where(col(RequestEvent.to_status).in_(("under_review", "more_info_needed", "approved", "rejected")))
        .order_by(RequestEvent.id)
    ):
        first_answers.setdefault(request_id, at)
    hours = sorted(
        (at - created[rid]).total_seconds() / 3600 for rid, at in first_answers.items() if rid in created
    )
    overdue = session.exec(
        select(func.count())
        .select_from(AccessRequest)
        .where(col(AccessRequest.status).in_(("submitted", "under_review")), AccessRequest.due_at < now)  # type: ignore[operator]
    ).one()
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "funnel": {"submitted": sum(by_status.values()), **reached},
        "rejection_rate": round(reached["rejected"] / decided, 4) if decided else 0.0,
        "median_hours_to_first_answer": round(statistics.median(hours), 2) if hours else None,
        "overdue": overdue,
    }
