"""Reads of datasets that other packages need, each in a fixed number of queries whatever the number
of datasets: the doors that show the whole catalog read here instead of the dataset tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.datasets.models import Dataset, DatasetDetail, DatasetSector
from catalog.datasets.services import dataset_details
from catalog.listings.search import rows_in_order
from catalog.listings.states import ListingStatus, listed_sql, public_sql
from catalog.sectors.queries import sector_slugs_by_item


def listed_dataset_details(session: Session) -> list[DatasetDetail]:
    """Every listed dataset, oldest listing first, as the public dataset page shows it."""
    datasets = session.exec(
        select(Dataset).where(listed_sql(Dataset)).order_by(col(Dataset.listed_at), col(Dataset.id))
    ).all()
    return dataset_details(session, datasets)


# --- every dataset, for the exports ---------------------------------------------------------------
def all_datasets(session: Session) -> list[Dataset]:
    """Every dataset in every state, in the order they were created."""
    return list(session.exec(select(Dataset).order_by(col(Dataset.id))))


def sector_slugs_by_dataset(session: Session) -> dict[int, list[str]]:
    """The slugs of each dataset's sectors, sorted, by the dataset's id."""
    return sector_slugs_by_item(session, DatasetSector.dataset_id, DatasetSector.sector_id)


# --- for the figures ------------------------------------------------------------------------------
def count_by_status(session: Session) -> dict[str, int]:
    """How many datasets are in each state (states without any are left out)."""
    rows = session.exec(select(Dataset.status, func.count()).group_by(col(Dataset.status)))
    return dict(rows.all())


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
