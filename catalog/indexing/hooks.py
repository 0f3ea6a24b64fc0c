"""The session hook that appends ChangeLog rows in the same transaction as every change.

Registered on SQLAlchemy's Session class when ``catalog.db`` is imported, so no service can forget it.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from catalog.accounts.models import Organization
from catalog.datasets.models import Dataset, DatasetSector
from catalog.indexing.models import ChangeLog
from catalog.licences.models import Licence
from catalog.models_base import utcnow
from catalog.products.models import DataProduct, ProductSector, ProductSource
from catalog.requests.models import AccessRequest
from catalog.sectors.models import Sector

# Set in ``session.info`` when a flush of the session wrote ChangeLog rows.
CHANGES_LOGGED = "catalog.changes_logged"

# model -> (ChangeLog.entity, attribute holding that entity's id)
TRACKED: dict[type, tuple[str, str]] = {
    DataProduct: ("product", "id"),
    ProductSector: ("product", "product_id"),
    ProductSource: ("product", "product_id"),
    AccessRequest: ("product", "product_id"),  # request counts sort "most requested"
    Dataset: ("dataset", "id"),
    DatasetSector: ("dataset", "dataset_id"),
    Organization: ("organization", "id"),
    Licence: ("licence", "id"),
    Sector: ("sector", "id"),
}


@event.listens_for(Session, "after_flush")
def record_changes(session: Session, _flush_context: Any) -> None:
    """Append one ChangeLog row per changed searchable entity of this flush."""
    changed: set[tuple[str, int]] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        spec = TRACKED.get(type(obj))
        if spec is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        changed.add((spec[0], getattr(obj, spec[1])))
    if changed:
        session.info[CHANGES_LOGGED] = True
        now = utcnow()
        session.connection().execute(
            insert(ChangeLog.__table__),  # type: ignore[attr-defined]
            [{"entity": entity, "entity_id": entity_id, "at": now} for entity, entity_id in sorted(changed)],
        )
