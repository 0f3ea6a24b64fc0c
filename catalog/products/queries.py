"""Reads of products that other packages need, each in a fixed number of queries whatever the number
of products: the doors that show the whole catalog (DCAT-AP, the Dataspace Protocol catalog) read
here instead of the product tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.datasets.models import Dataset
from catalog.listings.queries import ever_listed_ids
from catalog.listings.search import rows_in_order
from catalog.listings.states import ListingStatus, listed_sql, public_sql
from catalog.listings.workflow import RevisionStatus
from catalog.permissions import Actor
from catalog.products.models import (
    DataProduct,
    ProductDetail,
    ProductRevision,
    ProductSector,
    ProductSource,
)
from catalog.products.revisions import review_queue
from catalog.products.services import product_details
from catalog.sectors.queries import sector_slugs_by_item


class VersionInReview(BaseModel):
    """A submitted new version of a listed product, as the reviewers' queue shows it."""

    slug: str
    title: str
    title_en: str
    change_summary: str
    submitted_at: dt.datetime | None


def versions_in_review(session: Session, actor: Actor) -> list[VersionInReview]:
    """Submitted new versions, longest waiting first (reviewers only)."""
    return [
        VersionInReview(
            slug=product.slug,
            title=product.title,
            title_en=product.title_en,
            change_summary=revision.change_summary,
            submitted_at=revision.submitted_at,
        )
        for product, revision in review_queue(session, actor)
    ]


def listed_product_details(session: Session) -> list[ProductDetail]:
    """Every listed product, oldest listing first, as the public product page shows it."""
    products = session.exec(
        select(DataProduct)
        .where(listed_sql(DataProduct))
        .order_by(col(DataProduct.listed_at), col(DataProduct.id))
    ).all()
    return product_details(session, products)


# --- every product, for the exports ---------------------------------------------------------------
def all_products(session: Session) -> list[DataProduct]:
    """Every product in every state, in the order they were created."""
    return list(session.exec(select(DataProduct).order_by(col(DataProduct.id))))


def sector_slugs_by_product(session: Session) -> dict[int, list[str]]:
    """The slugs of each product's sectors, sorted, by the product's id."""
    return sector_slugs_by_item(session, ProductSector.product_id, ProductSector.sector_id)


def source_codes_by_product(session: Session) -> dict[int, list[str]]:
    """The codes of each product's source datasets, sorted, by the product's id."""
    return _sorted_lists(
        session.exec(
            select(ProductSource.product_id, Dataset.code).join(
                Dataset, col(Dataset.id) == ProductSource.dataset_id
            )
        )
    )


def _sorted_lists(pairs: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return {k: sorted(v) for k, v in out.items()}


# --- for the disclosure report --------------------------------------------------------------------
def ever_listed_products(session: Session) -> list[DataProduct]:
    """Products that have been listed at some time: listed now, or with a listing behind them; by
    listing number."""
    return list(
        session.exec(
            select(DataProduct)
            .where(
                col(DataProduct.status).in_((ListingStatus.LISTED, ListingStatus.DELISTED))
                | col(DataProduct.id).in_(ever_listed_ids("product"))
            )
            .order_by(col(DataProduct.listing_no), col(DataProduct.id))
        )
    )


def source_datasets_by_product(
    session: Session, product_ids: Sequence[int | None]
) -> dict[int, list[Dataset]]:
    """The source datasets of each of ``product_ids``, by the product's id."""
    sources: dict[int, list[Dataset]] = {}
    for product_id, dataset in session.exec(
        select(ProductSource.product_id, Dataset)
        .join(Dataset, col(Dataset.id) == ProductSource.dataset_id)
        .where(col(ProductSource.product_id).in_(product_ids))
    ).all():
        sources.setdefault(product_id, []).append(dataset)
    return sources


# --- for the pricing check ------------------------------------------------------------------------
def products_in(session: Session, states: Iterable[str]) -> list[DataProduct]:
    """The products in any of ``states``."""
    return list(session.exec(select(DataProduct).where(col(DataProduct.status).in_(tuple(states)))))


def new_versions_in(
    session: Session, states: Iterable[RevisionStatus]
) -> list[tuple[ProductRevision, DataProduct]]:
    """The new versions in any of ``states``, each with its product."""
    rows = session.exec(
        select(ProductRevision, DataProduct)
        .join(DataProduct, col(DataProduct.id) == ProductRevision.product_id)
        .where(col(ProductRevision.status).in_(tuple(states)))
    )
    return list(rows.all())


# --- for the figures ------------------------------------------------------------------------------
def count_by_status(session: Session) -> dict[str, int]:
    """How many products are in each state (states without any are left out)."""
    rows = session.exec(select(DataProduct.status, func.count()).group_by(col(DataProduct.status)))
    return dict(rows.all())


def listed_dates(session: Session) -> list[dt.datetime]:
    """When each product listed now was listed (those without a date left out), in no order."""
    rows = session.exec(
        select(DataProduct.listed_at).where(listed_sql(DataProduct), col(DataProduct.listed_at).is_not(None))
    )
    return [at for at in rows if at is not None]


def listed_count_by_type(session: Session) -> list[tuple[str, int]]:
    """How many listed products there are of each product type."""
    return _listed_count_by(session, DataProduct.product_type)


def listed_count_by_licence(session: Session) -> list[tuple[int, int]]:
    """How many listed products there are under each licence, by the licence's id."""
    return _listed_count_by(session, DataProduct.licence_id)


def listed_count_by_use(session: Session) -> list[tuple[str, int]]:
    """How many listed products there are for each use category."""
    return _listed_count_by(session, DataProduct.use_category)


def _listed_count_by(session: Session, column: Any) -> list[Any]:
    query = select(column, func.count()).where(listed_sql(DataProduct)).group_by(column)
    return list(session.exec(query).all())


def public_titles(session: Session) -> dict[str, str]:
    """The title of each public (listed or in publicity) product, by slug."""
    query = select(DataProduct.slug, DataProduct.title).where(public_sql(DataProduct))
    return dict(session.exec(query).all())


# --- for the bulk import --------------------------------------------------------------------------
def taken_slugs(session: Session, slugs: Sequence[str]) -> set[str]:
    """Those of ``slugs`` that products have."""
    return set(session.exec(select(DataProduct.slug).where(col(DataProduct.slug).in_(slugs))))


def taken_listing_nos(session: Session, numbers: Sequence[str]) -> set[str]:
    """Those of the listing ``numbers`` that products have."""
    found = session.exec(select(DataProduct.listing_no).where(col(DataProduct.listing_no).in_(numbers)))
    return {n for n in found if n}


# --- for the CKAN door ----------------------------------------------------------------------------
def listed_in_order(session: Session, slugs: Sequence[str]) -> list[DataProduct]:
    """The products of ``slugs`` still listed in the database, in that order (the index that found
    them may be a moment behind a change)."""
    return rows_in_order(session, DataProduct.slug, slugs, ListingStatus.LISTED)
