"""The catalog's figures: listed counts against the city's targets, by state and by sector."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from catalog.accounts.models import Organization
from catalog.datasets.models import Dataset
from catalog.listings.states import ListingStatus
from catalog.products.models import DataProduct
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
