"""Query pieces shared by the product and dataset catalogs: filters, facets, ordering by rank."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

from catalog.accounts.models import Organization
from catalog.listings.filters import ListingFilters
from catalog.sectors.models import Sector
from catalog.vocabularies import label


def page_rows(
    session: Session,
    model: Any,
    ids: Select,
    filters: ListingFilters,
    ranked_keys: Sequence[str] | None,
    key: str,
    order: dict[str, tuple[Any, ...]],
) -> tuple[int, list[Any]]:
    """The number of rows ``ids`` selects and the rows of the requested page.

    With ``ranked_keys`` (what a text search matched, best first) and relevance sorting, rows keep the
    search's order; otherwise ``order[filters.sort]`` (default newest) orders them in SQL.
    """
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    rows_query = select(model).where(model.id.in_(ids))
    if ranked_keys is not None and filters.sort == "relevance":
        position = {k: i for i, k in enumerate(ranked_keys)}
        rows = sorted(
            session.scalars(rows_query), key=lambda row: position.get(getattr(row, key), len(position))
        )
        return total, rows[filters.offset : filters.offset + filters.per_page]
    query = rows_query.order_by(*order.get(filters.sort, order["newest"]))
    return total, list(session.scalars(query.offset(filters.offset).limit(filters.per_page)))


def column_facet(session: Session, column: Any, id_column: Any, ids: Select, vocabulary: str) -> list[dict]:
    """Counts per value of a single-valued column among ``ids``, labelled from a vocabulary."""
    rows = session.exec(  # type: ignore[call-overload]
        select(column, func.count()).where(id_column.in_(ids)).group_by(column).order_by(func.count().desc())
    ).all()
    return [
        {
            "value": value,
            "label": label(vocabulary, value, "zh"),
            "label_en": label(vocabulary, value, "en"),
            "count": count,
        }
        for value, count in rows
        if value is not None
    ]


def organization_facet(session: Session, provider_column: Any, id_column: Any, ids: Select) -> list[dict]:
    """Counts per providing organization among ``ids``."""
    rows = session.exec(  # type: ignore[call-overload]
        select(Organization.slug, Organization.name, Organization.name_en, func.count())
        .select_from(provider_column.class_)
        .join(Organization, Organization.id == provider_column)
        .where(id_column.in_(ids))
        .group_by(Organization.slug, Organization.name, Organization.name_en)
        .order_by(func.count().desc(), Organization.slug)
    ).all()
    return [{"value": s, "label": n, "label_en": e, "count": c} for s, n, e, c in rows]


def sector_facet(session: Session, link_item_column: Any, link_sector_column: Any, ids: Select) -> list[dict]:
    """Counts per sector among ``ids`` (an item in two sectors counts in both)."""
    rows = session.exec(  # type: ignore[call-overload]
        select(Sector.slug, Sector.name, Sector.name_en, func.count())
        .select_from(link_item_column.class_)
        .join(Sector, Sector.id == link_sector_column)
        .where(link_item_column.in_(ids))
        .group_by(Sector.slug, Sector.name, Sector.name_en, Sector.position)
        .order_by(func.count().desc(), Sector.position)
    ).all()
    return [{"value": s, "label": n, "label_en": e, "count": c} for s, n, e, c in rows]


def sector_ids(session: Session, slugs: Sequence[str]) -> list[int]:
    return list(session.scalars(select(Sector.id).where(Sector.slug.in_(slugs))))  # type: ignore[attr-defined]


def organization_ids(session: Session, slugs: Sequence[str]) -> list[int]:
    return list(session.scalars(select(Organization.id).where(Organization.slug.in_(slugs))))  # type: ignore[attr-defined]
