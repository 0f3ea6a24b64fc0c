"""The session hooks that append ChangeLog rows in the same transaction as every change.

Installed on SQLAlchemy's Session class by ``install()``, which every entry point calls before it opens
a session (the app factory, the CLI, the test fixtures), so no service can forget it and the engine
module needs to know nothing of the domain. Each flush notes the searchable entities it changed; the
rows are written when the transaction commits, under a lock held to the end of the commit, so that
sequence numbers are taken in commit order: the indexer reads past the last number it applied, and on
PostgreSQL (several writers at once) a smaller number committed after a larger one would never be read.
The lock is taken last, after every other lock of the transaction, so it cannot close a cycle of waits.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session, SessionTransaction

from catalog import db
from catalog.accounts.models import Organization
from catalog.datasets.models import Dataset, DatasetSector
from catalog.indexing.models import ChangeLog
from catalog.licences.models import Licence
from catalog.models_base import utcnow
from catalog.products.models import DataProduct, ProductSector, ProductSource
from catalog.requests.models import AccessRequest
from catalog.sectors.models import Sector

# The (entity, id) pairs changed in the session's current transaction, not yet written.
_PENDING = "catalog.changes_pending"

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


def record_changes(session: Session, _flush_context: Any) -> None:
    """Note each changed searchable entity of this flush, for the ChangeLog rows of the commit."""
    changed: set[tuple[str, int]] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        spec = TRACKED.get(type(obj))
        if spec is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        changed.add((spec[0], getattr(obj, spec[1])))
    if changed:
        session.info[db.CHANGES_LOGGED] = True
        session.info.setdefault(_PENDING, set()).update(changed)


def write_change_log(session: Session) -> None:
    """Append one ChangeLog row per entity the transaction changed, as it commits."""
    if session.in_nested_transaction():  # a savepoint: its changes are written with the transaction's
        return
    session.flush()  # the commit's own flush comes after this hook
    changed = session.info.pop(_PENDING, None)
    if changed:
        db.transaction_lock(session, "catalog.change_log")
        now = utcnow()
        session.connection().execute(
            insert(ChangeLog.__table__),  # type: ignore[attr-defined]  # set by SQLModel on table models, undeclared in its hints
            [{"entity": entity, "entity_id": entity_id, "at": now} for entity, entity_id in sorted(changed)],
        )


def forget_changes(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without writing its changes (rolled back) leaves none for the next."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


HOOKS = (
    ("after_flush", record_changes),
    ("before_commit", write_change_log),
    ("after_transaction_end", forget_changes),
)


def install() -> None:
    """Write ChangeLog rows for every session from now on (idempotent: a second call adds nothing)."""
    for name, hook in HOOKS:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
