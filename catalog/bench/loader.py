"""Load a generated benchmark catalog into a database quickly, keeping the ChangeLog invariant.

The seed's reference data (sectors, licences, organizations, datasets) goes in through the services;
the generated products go in with batched INSERTs (100,000 one by one through ``import_product``
would take minutes), and each gets its ChangeLog row in the same transaction, as the session hook
would have written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session, col

from catalog import db
from catalog.accounts.models import Organization
from catalog.datasets.models import Dataset
from catalog.indexing.models import ChangeLog
from catalog.licences.models import Licence
from catalog.models_base import utcnow
from catalog.permissions import SYSTEM
from catalog.products.models import DataProduct, ProductCreate, ProductSector, ProductSource
from catalog.products.services import product_values
from catalog.sectors.models import Sector
from catalog.seeding import load_seed

BATCH = 5000


def load_catalog(
    engine: Engine,
    seed_dir: Path,
    items: Iterable[dict[str, Any]],
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Load the seed's reference data, then the generated products ``items``; the number loaded."""
    with db.session_scope(engine) as session:
        load_seed(session, SYSTEM, seed_dir, with_products=False)
    with db.session_scope(engine) as session:
        refs: dict[str, dict[str, int]] = {
            "provider": dict(session.execute(select(col(Organization.slug), col(Organization.id))).all()),
            "licence": dict(session.execute(select(col(Licence.code), col(Licence.id))).all()),
            "sector": dict(session.execute(select(col(Sector.slug), col(Sector.id))).all()),
            "dataset": dict(session.execute(select(col(Dataset.code), col(Dataset.id))).all()),
        }
        next_id = (session.scalar(select(func.max(DataProduct.id))) or 0) + 1
        numbers: dict[int, int] = {}
        loaded = 0
        batch: list[ProductCreate] = []
        for item in items:
            batch.append(ProductCreate.model_validate(item))
            if len(batch) >= BATCH:
                loaded += _insert(session, batch, refs, next_id + loaded, numbers)
                batch = []
                if progress:
                    progress(BATCH)
        if batch:
            loaded += _insert(session, batch, refs, next_id + loaded, numbers)
            if progress:
                progress(len(batch))
    return loaded


def _insert(
    session: Session,
    batch: list[ProductCreate],
    refs: dict[str, dict[str, int]],
    first_id: int,
    numbers: dict[int, int],
) -> int:
    rows, sectors, sources = [], [], []
    for offset, data in enumerate(batch):
        product_id = first_id + offset
        values = product_values(data, refs["provider"][data.provider], refs["licence"][data.licence])
        if values["listed_at"] is not None:
            year = values["listed_at"].year
            numbers[year] = numbers.get(year, 0) + 1
            values["listing_no"] = f"HADP-{year}-{numbers[year]:06d}"
        rows.append({**values, "id": product_id, "created_at": utcnow(), "updated_at": utcnow()})
        sectors += [{"product_id": product_id, "sector_id": refs["sector"][s]} for s in set(data.sectors)]
        sources += [
            {"product_id": product_id, "dataset_id": refs["dataset"][d]} for d in set(data.source_datasets)
        ]
    session.execute(insert(DataProduct), rows)
    session.execute(insert(ProductSector), sectors)
    session.execute(insert(ProductSource), sources)
    now = utcnow()
    session.execute(
        insert(ChangeLog), [{"entity": "product", "entity_id": row["id"], "at": now} for row in rows]
    )
    return len(rows)
