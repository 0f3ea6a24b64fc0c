"""Dataset use cases: import, list with filters and facets, show, and search documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from catalog.accounts.models import Organization
from catalog.accounts.services import organization_ref, organization_refs
from catalog.audit import services as audit
from catalog.datasets import assessments
from catalog.datasets.models import (
    Dataset,
    DatasetCreate,
    DatasetDetail,
    DatasetProductRef,
    DatasetSector,
    DatasetSummary,
    SourceRef,
)
from catalog.errors import Forbidden, Invalid, NotFound
from catalog.i18n import N_
from catalog.listings import search, states
from catalog.listings.filters import DatasetFilters
from catalog.listings.inputs import provider_and_sectors
from catalog.listings.states import ListingStatus, listed_sql
from catalog.listings.urls import dataset_url, product_url
from catalog.models_base import saved_id, utcnow
from catalog.pagination import Page
from catalog.permissions import (
    Actor,
    can_import_catalog,
    can_manage_listings_of,
    can_view_listing,
    require,
    require_write,
)
from catalog.products.models import DataProduct, ProductSource
from catalog.registrations.queries import registrations_of
from catalog.sectors.models import Sector
from catalog.sectors.queries import sector_refs_by_item, sector_slugs_by_item
from catalog.validation import parse
from search_index import SearchResult


def import_dataset(session: Session, actor: Actor, data: DatasetCreate) -> bool:
    """Create a dataset in the state the data gives, unless its code exists; True when created."""
    require(can_import_catalog(actor), actor, "only administrators may import datasets")
    if session.exec(select(Dataset.id).where(Dataset.code == data.code)).first():
        return False
    provider, sectors = _resolve(session, data)
    dataset = Dataset(**_values(data, saved_id(provider)))
    _save(session, dataset, sectors)
    return True


def _resolve(session: Session, data: DatasetCreate) -> tuple[Organization, list[Sector]]:
    provider, sectors, problems = provider_and_sectors(session, data.provider, data.sectors)
    if problems or provider is None:
        raise Invalid(f"dataset {data.code} names what the catalog does not have", fields=problems)
    return provider, sectors


def _values(data: DatasetCreate, provider_id: int) -> dict[str, Any]:
    return {
        **data.model_dump(exclude={"provider", "sectors", "schema_fields", "listed_at", "quality_rating"}),
        "quality_rating": data.quality_rating or "",
        "field_schema": [f.model_dump(exclude_none=True) for f in data.schema_fields],
        "provider_id": provider_id,
        "listed_at": dt.datetime.combine(data.listed_at, dt.time(9, 0), tzinfo=dt.UTC)
        if data.listed_at
        else None,
    }


def _save(session: Session, dataset: Dataset, sectors: list[Sector]) -> None:
    session.add(dataset)
    session.flush()
    for row in session.exec(select(DatasetSector).where(DatasetSector.dataset_id == dataset.id)):
        session.delete(row)
    session.flush()
    session.add_all([DatasetSector(dataset_id=saved_id(dataset), sector_id=saved_id(s)) for s in sectors])
    session.flush()


def create_dataset_draft(session: Session, actor: Actor, data: DatasetCreate) -> DatasetDetail:
    """A new draft resource of a department the actor owns."""
    require_write(actor)
    provider, sectors = _resolve(session, data)
    if not can_manage_listings_of(actor, saved_id(provider)):
        raise Forbidden(N_("Only owners of the organization list its datasets."))
    if session.exec(select(Dataset.id).where(Dataset.code == data.code)).first():
        raise Invalid(N_("Please correct the marked fields."), fields={"code": N_("This code is taken.")})
    dataset = Dataset(
        **{**_values(data, saved_id(provider)), "status": ListingStatus.DRAFT, "listed_at": None}
    )
    _save(session, dataset, sectors)
    audit.record(session, actor, "dataset.create", "dataset", dataset.code, f"draft {dataset.title}")
    return get_dataset(session, actor, dataset.code)


def dataset_input(session: Session, actor: Actor, code: str) -> dict[str, Any]:
    """A dataset its owner may edit now, as the input that would create it."""
    dataset = session.exec(select(Dataset).where(Dataset.code == code)).first()
    if dataset is None or not can_manage_listings_of(actor, dataset.provider_id):
        raise NotFound(f"no dataset {code!r}")
    states.check_editable("dataset", dataset)
    provider = session.get(Organization, dataset.provider_id)
    sectors = sector_slugs_by_item(session, DatasetSector.dataset_id, DatasetSector.sector_id, [dataset.id])
    names = (
        "code",
        "title",
        "title_en",
        "description",
        "description_en",
        "security_grade",
        "sharing_condition",
        "update_frequency",
        "formats",
        "keywords",
        "spatial_coverage",
        "record_count",
    )
    return {
        **{name: getattr(dataset, name) for name in names},
        "provider": provider.slug if provider else "",
        "sectors": sectors.get(saved_id(dataset), []),
        "schema": dataset.field_schema,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else None,
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else None,
        "quality_rating": dataset.quality_rating or None,
    }


def update_dataset_draft(session: Session, actor: Actor, code: str, changes: dict[str, Any]) -> DatasetDetail:
    """Change a dataset its owner is preparing; validated whole again."""
    require_write(actor)
    before = dataset_input(session, actor, code)
    dataset = session.exec(select(Dataset).where(Dataset.code == code)).one()
    changes = {k: v for k, v in changes.items() if k not in ("code", "provider", "status", "listed_at")}
    data = parse(DatasetCreate, {**before, **changes})
    provider, sectors = _resolve(session, data)
    for name, value in _values(data, saved_id(provider)).items():
        if name not in ("status", "listed_at", "code", "provider_id"):
            setattr(dataset, name, value)
    dataset.updated_at = utcnow()
    _save(session, dataset, sectors)
    audit.record(session, actor, "dataset.edit", "dataset", code, "changed " + ", ".join(sorted(changes)))
    return get_dataset(session, actor, code)


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
    orgs = organization_refs(session, {d.provider_id for d in datasets})
    sectors = sector_refs_by_item(
        session, DatasetSector.dataset_id, DatasetSector.sector_id, [d.id for d in datasets]
    )
    return [
        DatasetSummary(
            id=d.code,
            title=d.title,
            title_en=d.title_en,
            provider=orgs[d.provider_id],
            url=dataset_url(d.code),
            description=d.description,
            sectors=sectors[saved_id(d)],
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
    if dataset is None or not can_view_listing(
        actor, dataset.provider_id, reachable=states.is_reachable(dataset)
    ):
        raise NotFound(f"no dataset {code!r}")
    return dataset_details(session, [dataset])[0]


def dataset_details(session: Session, datasets: Sequence[Dataset]) -> list[DatasetDetail]:
    """Everything about each of ``datasets`` (``get_dataset``'s answer for each), in five queries."""
    if not datasets:
        return []
    products = _listed_products_built_on(session, [d.id for d in datasets if d.id is not None])
    assessed = assessments.latest(session, [d.id for d in datasets])
    registered = registrations_of(session, "dataset", [d.id for d in datasets])
    return [
        DatasetDetail(
            **summary.model_dump(),
            assessment=assessed.get(saved_id(dataset)),
            registration=registered.get(saved_id(dataset)),
            description_en=dataset.description_en,
            formats=dataset.formats,
            keywords=dataset.keywords,
            schema_fields=dataset.field_schema,
            spatial_coverage=dataset.spatial_coverage,
            temporal_start=dataset.temporal_start,
            temporal_end=dataset.temporal_end,
            products=products.get(saved_id(dataset), []),
            created_at=dataset.created_at,
            updated_at=dataset.updated_at,
        )
        for dataset, summary in zip(datasets, summarize(session, datasets), strict=True)
    ]


def _listed_products_built_on(session: Session, dataset_ids: list[int]) -> dict[int, list[DatasetProductRef]]:
    """The listed products built on each dataset (by its id), newest listing first."""
    found: dict[int, list[DatasetProductRef]] = {}
    for dataset_id, product, org in session.exec(
        select(ProductSource.dataset_id, DataProduct, Organization)
        .join(DataProduct, col(DataProduct.id) == ProductSource.product_id)
        .join(Organization, col(Organization.id) == DataProduct.provider_id)
        .where(col(ProductSource.dataset_id).in_(dataset_ids), listed_sql(DataProduct))
        .order_by(col(DataProduct.listed_at).desc(), col(DataProduct.id).desc())
    ):
        found.setdefault(dataset_id, []).append(
            DatasetProductRef(
                id=product.slug,
                title=product.title,
                title_en=product.title_en,
                provider=organization_ref(org),
                url=product_url(product.slug),
            )
        )
    return found


def search_documents(
    session: Session, dataset_ids: Sequence[int] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Index documents of the public (listed or in publicity) datasets among ``dataset_ids`` (all when
    None), and the ids of the others, which the index must not hold."""
    listed, gone = search.public_and_gone(session, "dataset", Dataset, dataset_ids)
    docs = [
        search.common_document("dataset", d, s)
        | {
            "summary": d.description_en,
            "tags": d.keywords,
            "sharing": d.sharing_condition,
        }
        for d, s in zip(listed, summarize(session, listed), strict=True)
    ]
    return docs, gone


def dataset_ids_for(
    session: Session, *, provider_ids: Sequence[int] = (), sector_ids: Sequence[int] = ()
) -> set[int]:
    """Ids of datasets whose search documents show these organizations or sectors."""
    found: set[int] = set()
    if provider_ids:
        rows = session.exec(select(Dataset.id).where(col(Dataset.provider_id).in_(provider_ids)))
        found |= {id_ for id_ in rows if id_ is not None}  # primary keys: typed int | None, never NULL
    if sector_ids:
        found |= set(
            session.exec(select(DatasetSector.dataset_id).where(col(DatasetSector.sector_id).in_(sector_ids)))
        )
    return found


def source_ref(dataset: Dataset, provider: Organization) -> SourceRef:
    """A dataset as a product's sources or an authorization's scope show it to anyone: a dataset that is
    not public shows its code only."""
    if not states.is_public(dataset):
        return SourceRef(id=dataset.code, public=False)
    return SourceRef(
        id=dataset.code,
        public=True,
        title=dataset.title,
        title_en=dataset.title_en,
        provider=organization_ref(provider),
        url=dataset_url(dataset.code),
    )
