"""Organization use cases (users, sessions and tokens come with the accounts issue)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from catalog.accounts.models import Organization, OrganizationCreate, OrganizationPublic, OrganizationRef
from catalog.datasets.models import Dataset
from catalog.errors import NotFound
from catalog.listings.states import ListingStatus
from catalog.pagination import Page, PageParams
from catalog.permissions import Actor
from catalog.products.models import DataProduct


def import_organization(session: Session, actor: Actor, data: OrganizationCreate) -> bool:
    """Create the organization unless its slug or credit code exists; True when created."""
    existing = session.exec(
        select(Organization).where((Organization.slug == data.slug) | (Organization.code == data.code))
    ).first()
    if existing:
        return False
    session.add(Organization(**data.model_dump(), verified=True))
    session.flush()
    return True


def organization_ref(org: Organization) -> OrganizationRef:
    """How other items show an organization."""
    return OrganizationRef(id=org.slug, name=org.name, name_en=org.name_en, kind=org.kind)


def _listed_counts(session: Session, model: type[DataProduct] | type[Dataset]) -> dict[int, int]:
    rows = session.exec(
        select(model.provider_id, func.count())
        .where(model.status == ListingStatus.LISTED)
        .group_by(model.provider_id)
    ).all()
    return dict(rows)


def _public(org: Organization, products: dict[int, int], datasets: dict[int, int]) -> OrganizationPublic:
    return OrganizationPublic(
        id=org.slug,
        name=org.name,
        name_en=org.name_en,
        kind=org.kind,
        code=org.code,
        short_name=org.short_name,
        description=org.description,
        region=org.region,
        website=org.website,
        verified=org.verified,
        products_listed=products.get(org.id, 0),  # type: ignore[arg-type]
        datasets_listed=datasets.get(org.id, 0),  # type: ignore[arg-type]
    )


def list_organizations(session: Session, kind: str | None, paging: PageParams) -> Page[OrganizationPublic]:
    """Organizations (of one kind, or all), departments first, then by name."""
    query = select(Organization).where(Organization.suspended == False)  # noqa: E712
    if kind:
        query = query.where(Organization.kind == kind)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(Organization.kind, Organization.id).offset(paging.offset).limit(paging.per_page)
    )
    products, datasets = _listed_counts(session, DataProduct), _listed_counts(session, Dataset)
    return Page[OrganizationPublic](
        total=total,
        page=paging.page,
        per_page=paging.per_page,
        items=[_public(o, products, datasets) for o in rows],
    )


def get_organization(session: Session, slug: str) -> OrganizationPublic:
    org = session.exec(select(Organization).where(Organization.slug == slug)).first()
    if org is None or org.suspended:
        raise NotFound(f"no organization {slug!r}")
    return _public(org, _listed_counts(session, DataProduct), _listed_counts(session, Dataset))
