"""Reads of datasets that other packages need, each in a fixed number of queries whatever the number
of datasets: the doors that show the whole catalog read here instead of the dataset tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.accounts.models import Organization
from catalog.accounts.services import organization_ref
from catalog.datasets.models import Dataset, DatasetDetail, DatasetProductRef, DatasetSector
from catalog.datasets.services import summarize
from catalog.listings.search import rows_in_order
from catalog.listings.states import ListingStatus, listed_sql, public_sql
from catalog.listings.urls import product_url
from catalog.products.models import DataProduct, ProductSource
from catalog.sectors.models import Sector


def listed_dataset_details(session: Session) -> list[DatasetDetail]:
    """Every listed dataset, oldest listing first, as the public dataset page shows it."""
    datasets = session.exec(
        select(Dataset).where(listed_sql(Dataset)).order_by(col(Dataset.listed_at), col(Dataset.id))
    ).all()
    return dataset_details(session, datasets)


def dataset_details(session: Session, datasets: Sequence[Dataset]) -> list[DatasetDetail]:
    """Everything about each of ``datasets`` (``get_dataset``'s answer for each), in three queries."""
    if not datasets:
        return []
    products = _listed_products_built_on(session, [d.id for d in datasets if d.id is not None])
    return [
        DatasetDetail(
            **summary.model_dump(),
            description_en=dataset.description_en,
            formats=dataset.formats,
            keywords=dataset.keywords,
            schema_fields=dataset.field_schema,
            spatial_coverage=dataset.spatial_coverage,
            temporal_start=dataset.temporal_start,
            temporal_end=dataset.temporal_end,
            products=products.get(summary.id, []),
            created_at=dataset.created_at,
            updated_at=dataset.updated_at,
        )
        for dataset, summary in zip(datasets, summarize(session, datasets), strict=True)
    ]


def _listed_products_built_on(session: Session, dataset_ids: list[int]) -> dict[str, list[DatasetProductRef]]:
    """The listed products built on each dataset (by its code), newest listing first."""
    found: dict[str, list[DatasetProductRef]] = {}
    for code, product, org in session.exec(
        select(Dataset.code, DataProduct, Organization)
        .join(ProductSource, col(ProductSource.dataset_id) == Dataset.id)
        .join(DataProduct, col(DataProduct.id) == ProductSource.product_id)
        .join(Organization, col(Organization.id) == DataProduct.provider_id)
        .where(col(Dataset.id).in_(dataset_ids), listed_sql(DataProduct))
        .order_by(col(DataProduct.listed_at).desc(), col(DataProduct.id).desc())
    ):
        found.setdefault(code, []).append(
            DatasetProductRef(
                id=product.slug,
                title=product.title,
                title_en=product.title_en,
                provider=organization_ref(org),
                url=product_url(product.slug),
            )
        )
    return found


# --- every dataset, for the exports ---------------------------------------------------------------
def all_datasets(session: Session) -> list[Dataset]:
    """Every dataset in every state, in the order they were created."""
    return list(session.exec(select(Dataset).order_by(col(Dataset.id))))


def sector_slugs_by_dataset(session: Session) -> dict[int, list[str]]:
    """The slugs of each dataset's sectors, sorted, by the dataset's id."""
    found: dict[int, list[str]] = {}
    rows = session.exec(
        select(DatasetSector.dataset_id, Sector.slug).join(Sector, col(Sector.id) == DatasetSector.sector_id)
    )
    for dataset_id, slug in rows:
        found.setdefault(dataset_id, []).append(slug)
    return {k: sorted(v) for k, v in found.items()}


# --- for the figures ------------------------------------------------------------------------------
def count_by_status(session: Session) -> dict[str, int]:
    """How many datasets are in each state (states without any are left out)."""
    rows = session.exec(select(Dataset.status, func.count()).group_by(col(Dataset.status)))
    return dict(rows.all())


def listed_dates(session: Session) -> list[dt.datetime]:
    """When each dataset listed now was listed (those without a date left out), in no order."""
    rows = session.exec(
        select(Dataset.listed_at).where(listed_sql(Dataset), col(Dataset.listed_at).is_not(None))
    )
    return [at for at in rows if at is not None]


def public_titles(session: Session) -> dict[str, str]:
    """The title of each public (listed or in publicity) dataset, by code."""
    query = select(Dataset.code, Dataset.title).where(public_sql(Dataset))
    return dict(session.exec(query).all())


# --- for the bulk import --------------------------------------------------------------------------
def dataset_codes(session: Session, among: Sequence[str] | None = None) -> set[str]:
    """The codes of the catalog's datasets (only those ``among`` these, when given)."""
    query = select(Dataset.code)
    if among is not None:
        query = query.where(col(Dataset.code).in_(among))
    return set(session.exec(query))


# --- for the CKAN door ----------------------------------------------------------------------------
def listed_in_order(session: Session, codes: Sequence[str]) -> list[Dataset]:
    """The datasets of ``codes`` still listed in the database, in that order (the index that found
    them may be a moment behind a change)."""
    return rows_in_order(session, Dataset.code, codes, ListingStatus.LISTED)
