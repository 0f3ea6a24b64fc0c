"""Sector use cases."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from catalog.datasets.models import Dataset, DatasetSector
from catalog.listings.states import ListingStatus
from catalog.permissions import Actor
from catalog.products.models import DataProduct, ProductSector
from catalog.sectors.models import Sector, SectorCreate, SectorPublic


def import_sector(session: Session, actor: Actor, data: SectorCreate, position: int = 0) -> bool:
    """Create the sector unless one with its slug exists; True when created."""
    if session.exec(select(Sector).where(Sector.slug == data.slug)).first():
        return False
    session.add(Sector(**data.model_dump(), position=position))
    session.flush()
    return True


def list_sectors(session: Session) -> list[SectorPublic]:
    """Every sector in plan order, with counts of listed products and datasets."""
    products = dict(
        session.exec(
            select(ProductSector.sector_id, func.count())
            .join(DataProduct, DataProduct.id == ProductSector.product_id)
            .where(DataProduct.status == ListingStatus.LISTED)
            .group_by(ProductSector.sector_id)
        ).all()
    )
    datasets = dict(
        session.exec(
            select(DatasetSector.sector_id, func.count())
            .join(Dataset, Dataset.id == DatasetSector.dataset_id)
            .where(Dataset.status == ListingStatus.LISTED)
            .group_by(DatasetSector.sector_id)
        ).all()
    )
    sectors = session.exec(select(Sector).order_by(Sector.position, Sector.id)).all()
    return [
        SectorPublic(
            id=s.slug,
            name=s.name,
            name_en=s.name_en,
            description=s.description,
            description_en=s.description_en,
            task=s.task,
            products_listed=products.get(s.id, 0),
            datasets_listed=datasets.get(s.id, 0),
        )
        for s in sectors
    ]
