"""Reads of sectors that other packages need."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from catalog.sectors.models import Sector, SectorRef


def sector_slugs(session: Session) -> set[str]:
    """Every sector's slug."""
    return set(session.exec(select(Sector.slug)))


def sector_refs_by_item(
    session: Session, item_id: Any, sector_id: Any, item_ids: Iterable[int | None]
) -> dict[int, list[SectorRef]]:
    """The sectors of each of ``item_ids`` in plan order, by the item's id, read through a link
    table's ``item_id`` and ``sector_id`` columns (``ProductSector``, ``DatasetSector``)."""
    ids = [i for i in item_ids if i is not None]
    found: dict[int, list[SectorRef]] = {i: [] for i in ids}
    for item, sector in session.exec(
        select(item_id, Sector)
        .join(Sector, col(Sector.id) == sector_id)
        .where(col(item_id).in_(ids))
        .order_by(col(Sector.position))
    ):
        found[item].append(SectorRef(id=sector.slug, name=sector.name, name_en=sector.name_en))
    return found


def sector_slugs_by_item(
    session: Session, item_id: Any, sector_id: Any, item_ids: Iterable[int | None] | None = None
) -> dict[int, list[str]]:
    """The slugs of each item's sectors, sorted, by the item's id, read through a link table's
    ``item_id`` and ``sector_id`` columns; of the items of ``item_ids`` (of every item when None)."""
    query = select(item_id, Sector.slug).join(Sector, col(Sector.id) == sector_id)
    if item_ids is not None:
        query = query.where(col(item_id).in_([i for i in item_ids if i is not None]))
    found: dict[int, list[str]] = {}
    for item, slug in session.exec(query):
        found.setdefault(item, []).append(slug)
    return {item: sorted(slugs) for item, slugs in found.items()}
