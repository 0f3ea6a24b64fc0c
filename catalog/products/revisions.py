"""New versions of listed products: the owner edits a copy (``ProductRevision``), a reviewer approves
it, and only then does the public see it. The listing number stays with the product."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from catalog import db
from catalog.audit import services as audit
from catalog.authorizations.queries import check_within, operated_under
from catalog.datasets.models import Dataset
from catalog.errors import Forbidden, Invalid, InvalidTransition, NotFound
from catalog.i18n import N_
from catalog.listings import workflow
from catalog.listings.services import check_materials, check_needs, may, record_revision_step, step_views
from catalog.listings.states import is_listed
from catalog.listings.workflow import RevisionStatus
from catalog.models_base import saved_id, utcnow
from catalog.permissions import Actor, can_manage_listings_of, can_review, require_write
from catalog.pricing.caps import check_cap, record_price
from catalog.products import services
from catalog.products.models import DataProduct, ProductCreate, ProductRevision
from catalog.registrations.services import register
from catalog.registrations.states import Act
from catalog.requests import follows
from catalog.validation import parse
from catalog.workdays import local_date


class RevisionPublic(BaseModel):
    id: int
    base_version: str
    version: str
    status: str
    change_summary: str
    reason: str
    changed: dict[str, tuple[Any, Any]]  # field -> (listed value, new value)
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    steps: list[dict[str, Any]] = Field(default_factory=list)


def _listed(session: Session, actor: Actor, slug: str) -> DataProduct:
    product = session.exec(select(DataProduct).where(DataProduct.slug == slug)).first()
    if product is None or not (can_manage_listings_of(actor, product.provider_id) or can_review(actor)):
        raise NotFound(f"no data product {slug!r}")
    return product


def open_revision(session: Session, product: DataProduct) -> ProductRevision | None:
    return session.exec(
        select(ProductRevision).where(
            ProductRevision.product_id == product.id, col(ProductRevision.status).in_(workflow.OPEN_REVISION)
        )
    ).first()


def save_revision(session: Session, actor: Actor, slug: str, changes: dict[str, Any]) -> RevisionPublic:
    """Edit the new version of a listed product (started on the first edit): the whole input is
    validated again; ``change_summary`` says what changed, for the version history."""
    require_write(actor)
    product = _listed(session, actor, slug)
    if not can_manage_listings_of(actor, product.provider_id):
        raise Forbidden(N_("Only owners of the organization edit its products."))
    if not is_listed(product):
        raise InvalidTransition("only a listed product gets new versions", allowed=[])
    revision = open_revision(session, product)
    if revision is not None and revision.status == RevisionStatus.SUBMITTED:
        raise InvalidTransition("the new version is with a reviewer: wait for the answer", allowed=[])
    summary = str(changes.pop("change_summary", "") or (revision.change_summary if revision else "")).strip()
    current = services.product_input(session, product)
    base = revision.data if revision else current
    data = parse(ProductCreate, {**base, **{k: v for k, v in changes.items() if k not in services.FIXED}})
    services.resolve_input(session, data, actor)
    merged = {**current, **data.model_dump(mode="json", by_alias=True, exclude={"status", "listed_at"})}
    if not summary:
        raise Invalid(
            N_("Please correct the marked fields."), fields={"change_summary": N_("Say what changes.")}
        )
    if revision is None:
        revision = ProductRevision(product_id=saved_id(product), base_version=product.version)
    revision.data, revision.change_summary = merged, summary[:2000]
    session.add(revision)
    session.flush()
    audit.record(session, actor, "product.revision_edit", "product", slug, f"new version: {summary[:200]}")
    return _public(session, actor, product, revision)


def revision_transition(
    session: Session,
    actor: Actor,
    slug: str,
    to: str,
    reason: str = "",
    checklist: dict[str, bool] | None = None,
) -> RevisionPublic:
    """Submit, approve, send back or reject the open new version of a listed product.

    409 ``invalid_transition`` when there is no such step from the version's state, also when another
    decision moved it after it was read (two reviewers at once): the loser writes nothing."""
    require_write(actor)
    product = _listed(session, actor, slug)
    revision = open_revision(session, product)
    if revision is None or not is_listed(product):
        raise NotFound("this product has no new version in the works")
    step = workflow.find_revision_step(revision.status, to, by_system=actor.is_system)
    if step is None:
        raise _no_such_step(actor, product, revision, to)
    if not may(actor, step, product):
        raise Forbidden(N_("Your role may not make this change."))
    check_needs(step, reason, checklist or {})
    if step.needs_checklist:  # approval registers the change: its materials
        check_materials(revision.data)
    if step.needs_authorization:
        codes = [str(c) for c in revision.data.get("source_datasets") or []]
        sources = session.exec(select(Dataset.id).where(col(Dataset.code).in_(codes))).all()
        ids = [i for i in sources if i is not None]
        check_within(session, product.provider_id, ids)
        price = services.price_of(revision.data)
        check_cap(session, operated_under(session, product.provider_id, ids), *price)
    before = revision.status
    if not db.claim_status(session, revision, before, step.target):  # another decision came first
        raise _no_such_step(actor, product, revision, to)
    now = utcnow()
    if step.target == RevisionStatus.SUBMITTED:
        revision.submitted_at = now
    if step.role is workflow.Role.REVIEWER:
        revision.decided_at, revision.decided_by, revision.reason = now, actor.label, reason.strip()
    if step.target == RevisionStatus.APPROVED:
        _apply(session, actor, product, revision)
    record_revision_step(session, actor, product, revision, before, step.target, reason)
    return _public(session, actor, product, revision)


def _no_such_step(
    actor: Actor, product: DataProduct, revision: ProductRevision, to: str
) -> InvalidTransition:
    """The 409 of a step the table has no row for from the version's state, with the steps it has."""
    allowed = [t.target for t in _steps(actor, product, revision)]
    return InvalidTransition(
        f"a new version in state {revision.status} cannot move to {to!r}", allowed=allowed
    )


def _apply(session: Session, actor: Actor, product: DataProduct, revision: ProductRevision) -> None:
    """The approved version becomes the product: same address, same listing number, next version."""
    data = parse(ProductCreate, {k: v for k, v in revision.data.items() if k not in ("status", "listed_at")})
    provider, licence, sectors, sources = services.resolve_input(session, data)
    for name, value in services.product_values(data, saved_id(provider), saved_id(licence)).items():
        if name not in ("status", "listed_at", "slug", "provider_id", "version"):
            setattr(product, name, value)
    revision.version = next_version(product.version)
    product.version = revision.version
    follows.tell_followers(session, product, "version")
    product.updated_at = utcnow()
    services.save_links(session, product, sectors, sources)
    record_price(session, product, local_date(product.updated_at))  # its new fee, if it changed
    register(session, actor, "product", product, Act.CHANGE, revision.change_summary)  # 变更登记


def next_version(version: str) -> str:
    """1.0 -> 1.1 -> … -> 1.9 -> 1.10; anything unreadable restarts at 1.1."""
    major, _, minor = version.partition(".")
    if major.isdigit() and minor.isdigit():
        return f"{major}.{int(minor) + 1}"
    return "1.1"


def _steps(actor: Actor, product: DataProduct, revision: ProductRevision) -> list[workflow.Transition]:
    return [
        t for t in workflow.REVISION_TRANSITIONS if t.source == revision.status and may(actor, t, product)
    ]


def _public(
    session: Session, actor: Actor, product: DataProduct, revision: ProductRevision
) -> RevisionPublic:
    listed = services.product_input(session, product)
    changed = {
        k: (listed.get(k), v)
        for k, v in revision.data.items()
        if k not in services.FIXED and _norm(listed.get(k)) != _norm(v)
    }
    return RevisionPublic(
        id=saved_id(revision),
        base_version=revision.base_version,
        version=revision.version,
        status=revision.status,
        change_summary=revision.change_summary,
        reason=revision.reason,
        changed=changed if revision.status in workflow.OPEN_REVISION else {},
        created_at=revision.created_at,
        submitted_at=revision.submitted_at,
        decided_at=revision.decided_at,
        steps=step_views(_steps(actor, product, revision)),
    )


def _norm(value: Any) -> Any:
    if value in (None, "", []):
        return None
    return str(value) if not isinstance(value, list | dict) else value


def edit(session: Session, actor: Actor, slug: str, changes: dict[str, Any]) -> tuple[str, BaseModel]:
    """An owner's edit: a draft (or a product sent back) changes itself; a listed product gets a new
    version for review. ``("product", detail)`` or ``("revision", new version)``."""
    product = session.exec(select(DataProduct).where(DataProduct.slug == slug)).first()
    if product is not None and is_listed(product):
        return "revision", save_revision(session, actor, slug, changes)
    changes = {k: v for k, v in changes.items() if k != "change_summary"}
    return "product", services.update_draft(session, actor, slug, changes)


def edit_input(session: Session, actor: Actor, slug: str) -> tuple[dict[str, Any], bool]:
    """What the owner's edit form starts from, and whether saving it makes a new version."""
    product = _listed(session, actor, slug)
    if not is_listed(product):
        return services.draft_input(session, actor, slug), False
    if not can_manage_listings_of(actor, product.provider_id):
        raise Forbidden(N_("Only owners of the organization edit its products."))
    revision = open_revision(session, product)
    data = revision.data if revision else services.product_input(session, product)
    return {**data, "change_summary": revision.change_summary if revision else ""}, True


def pending(session: Session, actor: Actor, slug: str) -> RevisionPublic | None:
    """The open new version of a product, for its owners and reviewers (None for anyone else)."""
    product = session.exec(select(DataProduct).where(DataProduct.slug == slug)).first()
    if product is None or not (can_manage_listings_of(actor, product.provider_id) or can_review(actor)):
        return None
    revision = open_revision(session, product)
    return _public(session, actor, product, revision) if revision else None


def review_queue(session: Session, actor: Actor) -> list[tuple[DataProduct, ProductRevision]]:
    """Submitted new versions, longest waiting first."""
    if not can_review(actor):
        raise Forbidden(N_("Only reviewers see the review queue."))
    rows = session.exec(
        select(DataProduct, ProductRevision)
        .join(ProductRevision, col(ProductRevision.product_id) == col(DataProduct.id))
        .where(ProductRevision.status == RevisionStatus.SUBMITTED)
        .order_by(col(ProductRevision.submitted_at))
    ).all()
    return list(rows)
