"""Sector use cases: the list with its counts, and the administrators' create and edit. A sector's slug
is its address and its search facet value, so it stays fixed once created."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog.audit import services as audit
from catalog.datasets.models import Dataset, DatasetSector
from catalog.errors import Invalid, NotFound
from catalog.i18n import N_
from catalog.listings.states import listed_sql
from catalog.models_base import saved_id
from catalog.permissions import Actor, can_administer, require, require_write
from catalog.products.models import DataProduct, ProductSector
from catalog.sectors.models import Sector, SectorCreate, SectorPublic

_EDITED = ("name", "name_en", "description", "description_en", "task", "position")


class SectorEdit(SectorCreate):
    """A sector as an administrator creates or edits it (the slug is ignored on edit)."""

    task: int | None = Field(default=None, ge=1, le=999)
    position: int | None = Field(default=None, ge=0, le=10000)  # None on create: after the others


class SectorAdmin(SectorPublic):
    position: int = 0


def import_sector(session: Session, actor: Actor, data: SectorCreate, position: int = 0) -> bool:
    """Create the sector unless one with its slug exists; True when created."""
    if session.exec(select(Sector).where(Sector.slug == data.slug)).first():
        return False
    session.add(Sector(**data.model_dump(), position=position))
    session.flush()
    return True


def list_sectors(session: Session) -> list[SectorPublic]:
    """Every sector in plan order, with counts of listed products and datasets."""
    return [SectorPublic.model_validate(s.model_dump()) for s in _with_counts(session)]


def _with_counts(session: Session) -> list[SectorAdmin]:
    products = _listed_by_sector(session, DataProduct, ProductSector.product_id, ProductSector.sector_id)
    datasets = _listed_by_sector(session, Dataset, DatasetSector.dataset_id, DatasetSector.sector_id)
    sectors = session.exec(select(Sector).order_by(col(Sector.position), col(Sector.id))).all()
    return [
        SectorAdmin(
            id=s.slug,
            name=s.name,
            name_en=s.name_en,
            description=s.description,
            description_en=s.description_en,
            task=s.task,
            position=s.position,
            products_listed=products.get(saved_id(s), 0),
            datasets_listed=datasets.get(saved_id(s), 0),
        )
        for s in sectors
    ]


def _listed_by_sector(session: Session, model: Any, item_id: Any, sector_id: Any) -> dict[int, int]:
    """How many listed rows of ``model`` each sector has, through a link table's ``item_id`` and
    ``sector_id`` columns."""
    query = (
        select(sector_id, func.count())
        .join(model, model.id == item_id)
        .where(listed_sql(model))
        .group_by(sector_id)
    )
    return dict(session.exec(query).all())


# --- administration -------------------------------------------------------------------------------
def list_sectors_for_admin(session: Session, actor: Actor) -> list[SectorAdmin]:
    """Every sector with its position and listed counts, for administrators."""
    require(can_administer(actor), actor, N_("Only administrators manage sectors."))
    return _with_counts(session)


def _snapshot(sector: Sector) -> dict[str, Any]:
    return {"slug": sector.slug, **{name: getattr(sector, name) for name in _EDITED}}


def _duplicate() -> Invalid:
    return Invalid(
        N_("Please correct the marked fields."),
        fields={"slug": N_("A sector with this address exists: choose another.")},
    )


def create_sector(session: Session, actor: Actor, data: SectorEdit) -> str:
    """A new sector (administrators), after the others unless given a position; its slug."""
    require_write(actor)
    require(can_administer(actor), actor, N_("Only administrators manage sectors."))
    if session.exec(select(Sector).where(Sector.slug == data.slug)).first():
        raise _duplicate()
    position = data.position
    if position is None:
        position = (session.exec(select(func.max(Sector.position))).one() or 0) + 1
    sector = Sector(**data.model_dump(exclude={"position"}), position=position)
    session.add(sector)
    try:
        with session.begin_nested():  # a parallel create of the same slug
            session.flush()
    except IntegrityError:
        raise _duplicate() from None
    summary = f"sector {sector.slug} created"
    audit.record(session, actor, "sector.create", "sector", sector.slug, summary, after=_snapshot(sector))
    return sector.slug


def sector_for_edit(session: Session, actor: Actor, slug: str) -> SectorAdmin:
    require(can_administer(actor), actor, N_("Only administrators manage sectors."))
    for sector in _with_counts(session):
        if sector.id == slug:
            return sector
    raise NotFound(f"no sector {slug!r}")


def update_sector(session: Session, actor: Actor, slug: str, data: SectorEdit) -> None:
    """Change a sector's names, descriptions, task and position (administrators); the slug stays."""
    require_write(actor)
    require(can_administer(actor), actor, N_("Only administrators manage sectors."))
    sector = session.exec(select(Sector).where(Sector.slug == slug)).first()
    if sector is None:
        raise NotFound(f"no sector {slug!r}")
    before = _snapshot(sector)
    for name in _EDITED:
        value = getattr(data, name)
        if name != "position" or value is not None:
            setattr(sector, name, value)
    after = _snapshot(sector)
    if after != before:
        session.flush()
        audit.record(
            session, actor, "sector.update", "sector", sector.slug, f"sector {slug} changed", before, after
        )
