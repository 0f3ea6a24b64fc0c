"""Dataset use cases: import, list with filters and facets, show, and search documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, select

from catalog.accounts.models import Organization
from catalog.accounts.services import organization_ref
from catalog.datasets.models import (
    Dataset,
    DatasetCreate,
    DatasetDetail,
    DatasetProductRef,
    DatasetSector,
    DatasetSummary,
)
from catalog.errors import Invalid, NotFound
from catalog.listings import search
from catalog.listings.filters import DatasetFilters
from catalog.listings.states import PUBLIC_STATES, ListingStatus
from catalog.listings.urls import dataset_url, product_url
from catalog.pagination import Page
from catalog.permissions import Actor, can_import_catalog, can_view_listing
from catalog.products.models import DataProduct, ProductSource
from catalog.sectors.models import Sector, SectorRef
from search_index import SearchResult


def import_dataset(session: Session, actor: Actor, data: DatasetCreate) -> bool:
    """Create a dataset in the state the data gives, unless its code exists; True when created."""
    if not can_import_catalog(actor):
        raise Invalid("only administrators may import datasets")
    if session.exec(select(Dataset.id).where(Dataset.code == data.code)).first():
        return False
    provider = session.exec(select(Organization).where(Organization.slug == data.provider)).first()
    sectors = session.exec(select(Sector).where(Sector.slug.in_(data.sectors))).all()  # type: ignore[attr-defined]
    problems = {}
    if provider is None:
        problems["provider"] = f"no organization {data.provider!r}"
    if len(sectors) != len(set(data.sectors)):
        problems["sectors"] = f"unknown sector in {data.sectors}"
    if problems or provider is None:
        raise Invalid(f"dataset {data.code} cannot be imported", fields=problems)
    dataset = Dataset(
        **data.model_dump(exclude={"provider", "sectors", "schema_fields", "listed_at", "quality_rating"}),
        quality_rating=data.quality_rating or "",
        field_schema=[f.model_dump(exclude_none=True) for f in data.schema_fields],
        provider_id=provider.id,
        listed_at=dt.datetime.combine(data.listed_at, dt.time(9, 0), tzinfo=dt.UTC)
        if data.listed_at
        else None,
    )
    session.add(dataset)
    session.flush()
    session.add_all([DatasetSector(dataset_id=dataset.id, sector_id=s.id) for s in sectors])  # type: ignore[arg-type]
    session.flush()
    return True


def list_datasets(
    session: Session, actor: Actor, filters: DatasetFilters, found: SearchResult
) -> Page[DatasetSummary]:
    """One page of public datasets: what the index ``found`` for ``filters``, loaded from the database."""
    return search.result_page(
        session, "dataset", Page[DatasetSummary], Dataset.code, summarize, filters, found
    )


def summarize(session: Session, datasets: Sequence[Dataset]) -> list[DatasetSummary]:
    """Public summaries of ``datasets``, loading organizations and sectors at once."""
    if not datasets:
        return []
    ids = [d.id for d in datasets]
    orgs = {
        o.id: o
        for o in session.exec(
            select(Organization).where(Organization.id.in_({d.provider_id for d in datasets}))
        )
    }  # type: ignore[union-attr]
    sectors: dict[int, list[SectorRef]] = {i: [] for i in ids if i is not None}
    for did, sector in session.exec(
        select(DatasetSector.dataset_id, Sector)
        .join(Sector, Sector.id == DatasetSector.sector_id)
        .where(DatasetSector.dataset_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(Sector.position)
    ):
        sectors[did].append(SectorRef(id=sector.slug, name=sector.name, name_en=sector.name_en))
    return [
        DatasetSummary(
            id=d.code,
            title=d.title,
            title_en=d.title_en,
            provider=organization_ref(orgs[d.provider_id]),
            url=dataset_url(d.code),
            description=d.description,
            sectors=sectors[d.id],  # type: ignore[index]
            security_grade=d.security_grade,
            sharing_condition=d.sharing_condition,
            update_frequency=d.update_frequency,
            quality_rating=d.quality_rating,
            record_count=d.record_count,
            status=d.status,
            listed_at=d.listed_at,
        )
        for d in datasets
    ]


def get_dataset(session: Session, actor: Actor, code: str) -> DatasetDetail:
    """Everything about one dataset the actor may see, with the listed products built on it."""
    dataset = session.exec(select(Dataset).where(Dataset.code == code)).first()
    if dataset is None or not can_view_listing(actor, dataset.status, dataset.provider_id):
        raise NotFound(f"no dataset {code!r}")
    summary = summarize(session, [dataset])[0]
    products = session.exec(
        select(DataProduct, Organization)
        .join(ProductSource, ProductSource.product_id == DataProduct.id)
        .join(Organization, Organization.id == DataProduct.provider_id)
        .where(ProductSource.dataset_id == dataset.id, DataProduct.status == ListingStatus.LISTED)
        .order_by(DataProduct.listed_at.desc())  # type: ignore[union-attr]
    ).all()
    return DatasetDetail(
        **summary.model_dump(),
        description_en=dataset.description_en,
        formats=dataset.formats,
        keywords=dataset.keywords,
        schema_fields=dataset.field_schema,
        spatial_coverage=dataset.spatial_coverage,
        temporal_start=dataset.temporal_start,
        temporal_end=dataset.temporal_end,
        products=[
            DatasetProductRef(
                id=p.slug,
                title=p.title,
                title_en=p.title_en,
                provider=organization_ref(o),
                url=product_url(p.slug),
            )
            for p, o in products
        ],
        created_at=dataset.created_at,
        updated_at=dataset.updated_at,
    )


def search_documents(
    session: Session, dataset_ids: Sequence[int] | None = None
) -> tuple[list[dict], list[str]]:
    """Index documents of the public (listed or in publicity) datasets among ``dataset_ids`` (all when
    None), and the ids of the others, which the index must not hold."""
    query = select(Dataset)
    if dataset_ids is not None:
        query = query.where(Dataset.id.in_(dataset_ids))  # type: ignore[union-attr]
    datasets = session.exec(query).all()
    listed = [d for d in datasets if d.status in PUBLIC_STATES]
    gone = [f"dataset:{d.id}" for d in datasets if d.status not in PUBLIC_STATES]
    docs = []
    for d, s in zip(listed, summarize(session, listed), strict=True):
        docs.append(
            {
                "id": f"dataset:{d.id}",
                "kind": "dataset",
                "key": d.code,
                "title": d.title,
                "title_en": d.title_en,
                "summary": d.description_en,
                "description": d.description,
                "tags": d.keywords,
                "provider": f"{s.provider.name} {s.provider.name_en}",
                "status": d.status,
                "sector": [x.id for x in s.sectors],
                "provider_id": s.provider.id,
                "security_grade": d.security_grade,
                "sharing": d.sharing_condition,
                "update_frequency": d.update_frequency,
                "listed_at": d.listed_at,
            }
        )
    return docs, gone


def dataset_ids_for(
    session: Session, *, provider_ids: Sequence[int] = (), sector_ids: Sequence[int] = ()
) -> set[int]:
    """Ids of datasets whose search documents show these organizations or sectors."""
    found: set[int] = set()
    if provider_ids:
        found |= set(session.exec(select(Dataset.id).where(Dataset.provider_id.in_(provider_ids))))  # type: ignore[attr-defined, arg-type]
    if sector_ids:
        found |= set(
            session.exec(select(DatasetSector.dataset_id).where(DatasetSector.sector_id.in_(sector_ids)))
        )  # type: ignore[attr-defined]
    return found
