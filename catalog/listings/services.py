"""Moving products and datasets through the listing lifecycle (``workflow.TRANSITIONS``).

Every transition is checked here, for every door: who may make it, the reason or checklist it needs.
Each writes a timeline event, an audit event and a notification to the listing's organization, in the
transaction of the change; the ChangeLog row that brings search up to date comes with the change
itself (``indexing/hooks.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import exists, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from catalog import db, workdays
from catalog.accounts.limits import OBJECTIONS_PER_HOUR, check_hourly
from catalog.accounts.models import Membership, Organization
from catalog.audit import services as audit
from catalog.authorizations.models import AuthorizationPublic
from catalog.authorizations.queries import check_within, operated_under, source_ids
from catalog.authorizations.services import operator_authorizations
from catalog.datasets.models import Dataset
from catalog.errors import ChecklistIncomplete, Forbidden, Invalid, InvalidTransition, NotFound
from catalog.i18n import N_
from catalog.listings import states, workflow
from catalog.listings.models import ListingEvent, Notification, Objection
from catalog.listings.states import ListingStatus
from catalog.listings.urls import dataset_url, owner_item_url, product_url, review_item_url
from catalog.models_base import MAX_ID, saved_id, utcnow
from catalog.permissions import (
    Actor,
    acts_for_an_organization,
    can_create_listings,
    can_follow_listing_work,
    can_manage_listings_of,
    can_review,
    can_review_listing_of,
    can_see_every_objection,
    can_view_listing,
    require_write,
)
from catalog.pricing.caps import check_cap, record_price
from catalog.products.models import DataProduct, ProductRevision
from catalog.products.services import next_listing_no, product_input
from catalog.registrations.services import register
from catalog.registrations.states import Act, missing_materials
from catalog.requests import follows
from catalog.settings import Settings
from catalog.workdays import local_date

Item = DataProduct | Dataset
MODELS: dict[str, type[DataProduct] | type[Dataset]] = {"product": DataProduct, "dataset": Dataset}


def _select_items(model: type[Item]) -> SelectOfScalar[Item]:
    """``select(model)`` of either listing model, typed as an item: mypy types ``select`` of a model
    that may be either as their common base, SQLModel."""
    return select(model)


def _get_item(session: Session, kind: str, item_id: int) -> Item | None:
    """``session.get`` of the ``kind``'s model, typed as an item."""
    return cast(Item | None, session.get(MODELS[kind], item_id))  # get() of either: typed SQLModel too


class TransitionRequest(BaseModel):
    """``{"to": "<state>", "reason": "…", "checklist": {"<item>": true, …}}``"""

    to: str = Field(min_length=1, max_length=24)
    reason: str = Field(default="", max_length=2000)
    checklist: dict[str, bool] = Field(default_factory=dict)


class TimelineEntry(BaseModel):
    at: dt.datetime
    from_status: str
    to_status: str
    actor: str  # who made the step; "" for a reviewer or administrator, to anyone but the port's staff
    reason: str
    by_reviewers: bool = False  # made by the port's reviewers or administrators


def find_item(session: Session, actor: Actor, kind: str, key: str) -> Item:
    """The product (by slug) or dataset (by code) the actor may see; 404 otherwise."""
    model = MODELS[kind]
    column = col(DataProduct.slug) if model is DataProduct else col(Dataset.code)
    item = session.exec(_select_items(model).where(column == key)).first()
    if item is None or not can_view_listing(actor, item.provider_id, reachable=states.is_reachable(item)):
        raise NotFound(f"no {kind} {key!r}")
    return item


def may(actor: Actor, step: workflow.Transition, item: Item) -> bool:
    """Whether the actor's role makes this step on this item (products' new versions too)."""
    if step.role is workflow.Role.OWNER:
        return can_manage_listings_of(actor, item.provider_id)
    if step.role is workflow.Role.REVIEWER:
        return can_review_listing_of(actor, item.provider_id)
    return actor.is_system


def check_materials(values: dict[str, Any]) -> None:
    """422 ``checklist_incomplete`` naming each registration material a product's values lack."""
    missing = missing_materials(values)
    if missing:
        raise ChecklistIncomplete(
            N_("The registration needs every material: complete the product."), fields=missing
        )


def check_needs(step: workflow.Transition, reason: str, checklist: dict[str, bool]) -> None:
    """422 when a step lacks its reason, or its review checklist (``checklist_incomplete``)."""
    if step.needs_reason and not reason.strip():
        raise Invalid(N_("Please correct the marked fields."), fields={"reason": N_("Give the reason.")})
    if step.needs_checklist:
        missing = {name: text for name, text in workflow.CHECKLIST.items() if not checklist.get(name)}
        if missing:
            raise ChecklistIncomplete(N_("Complete the review checklist to approve."), fields=missing)


def step_views(steps: list[workflow.Transition]) -> list[dict[str, Any]]:
    """Steps as the pages offer them: target, label, and what each needs."""
    return [
        {
            "to": t.target,
            "label": t.label,
            "needs_reason": t.needs_reason,
            "needs_checklist": t.needs_checklist,
        }
        for t in steps
    ]


def available(actor: Actor, item: Item) -> list[workflow.Transition]:
    """The transitions the actor may make on the item now."""
    return [t for t in workflow.from_state(item.status) if may(actor, t, item)]


def transition(
    session: Session, settings: Settings, actor: Actor, kind: str, key: str, request: TransitionRequest
) -> list[TimelineEntry]:
    """Move a product or dataset to ``request.to``; its timeline afterwards.

    409 ``invalid_transition`` (with the states the actor may move it to) when the table has no such
    step from the current state (also when another step moved the item after it was read: the loser
    writes nothing), 403 when the actor's role may not make it, 422 when the reason or the review
    checklist is missing (``checklist_incomplete``)."""
    require_write(actor)
    item = find_item(session, actor, kind, key)
    step = workflow.find(item.status, request.to, by_system=actor.is_system)
    if step is None:
        raise _no_such_step(actor, kind, item, request.to)
    if not may(actor, step, item):
        raise Forbidden(N_("Your role may not make this change."))
    states.check_not_core(kind, item.security_grade, step.target)
    check_needs(step, request.reason, request.checklist)
    if step.needs_checklist and isinstance(item, DataProduct):  # approval registers it: its materials
        check_materials(product_input(session, item))
    if step.needs_authorization and isinstance(item, DataProduct):
        sources = source_ids(session, item.id)
        check_within(session, item.provider_id, sources)
        under = operated_under(session, item.provider_id, sources)
        check_cap(session, under, item.use_category, item.price_model, item.price, item.price_unit)
    _apply(session, settings, actor, kind, item, step, request)
    return timeline(session, kind, saved_id(item), actor)


def _no_such_step(actor: Actor, kind: str, item: Item, to: str) -> InvalidTransition:
    """The 409 of a step the table has no row for from the item's state, with the steps it has."""
    allowed = [t.target for t in available(actor, item)]
    return InvalidTransition(f"a {kind} in state {item.status} cannot move to {to!r}", allowed=allowed)


def _apply(
    session: Session,
    settings: Settings,
    actor: Actor,
    kind: str,
    item: Item,
    step: workflow.Transition,
    request: TransitionRequest,
) -> None:
    before = item.status
    if not db.claim_status(session, item, before, step.target):  # another step came first: nothing written
        raise _no_such_step(actor, kind, item, request.to)
    now = utcnow()
    item.updated_at = now  # an ORM change: the flush notes the item for the ChangeLog
    if step.target == ListingStatus.SUBMITTED:
        item.submitted_at = now
    if step.target == ListingStatus.PUBLICITY:
        item.publicity_ends_at = workdays.end_of_working_days(now, settings.publicity_days)
    if step.target == ListingStatus.DELISTED and isinstance(item, DataProduct):
        follows.tell_followers(session, item, "delisted")
        _withdraw_new_versions(session, actor, item)
    if step.target == ListingStatus.DELISTED and item.registration_code:
        register(session, actor, kind, item, Act.CANCELLATION, request.reason.strip())  # 注销
    checklist = (
        {k: bool(request.checklist.get(k)) for k in workflow.CHECKLIST} if step.needs_checklist else None
    )
    by_staff = step.role is workflow.Role.REVIEWER or (
        actor.is_admin and item.provider_id not in actor.organizations
    )
    _record(session, actor, kind, item, before, step.target, request.reason.strip(), checklist, by_staff)
    if step.target == ListingStatus.PUBLICITY and settings.publicity_days == 0:
        _list(session, kind, item)  # no publicity period: listed on approval


def _withdraw_new_versions(session: Session, actor: Actor, product: DataProduct) -> None:
    """A new version in the works is for a listed product: delisting withdraws it, by its lifecycle's
    step (``workflow.REVISION_TRANSITIONS``), with its audit event."""
    open_ones = session.exec(
        select(ProductRevision).where(
            ProductRevision.product_id == product.id, col(ProductRevision.status).in_(workflow.OPEN_REVISION)
        )
    ).all()
    for revision in open_ones:
        while revision.status in workflow.OPEN_REVISION:  # a step taken meanwhile: withdraw from there
            before = revision.status
            # the delisting's step, which only the system takes
            step = workflow.find_revision_step(before, workflow.RevisionStatus.WITHDRAWN, by_system=True)
            assert step is not None  # the table withdraws a new version from every open state
            if db.claim_status(session, revision, before, step.target):
                record_revision_step(session, actor, product, revision, before, step.target, "delisted")
                break


def record_revision_step(
    session: Session,
    actor: Actor,
    product: DataProduct,
    revision: ProductRevision,
    before: str,
    after: str,
    reason: str,
) -> None:
    """The audit event and the organization's notification of one step of a product's new version."""
    version = revision.version or revision.base_version + "+"
    audit.record(
        session,
        actor,
        "product.revision",
        "product",
        product.slug,
        f"version {version}: {before} → {after}",
        before={"status": before},
        after={"status": after},
    )
    text = f"{product.title}: new version {before} → {after}" + (f" ({reason})" if reason else "")
    link = owner_item_url("product", product.slug)
    session.add(Notification(organization_id=product.provider_id, text=text[:500], link=link))
    session.flush()


def _list(session: Session, kind: str, item: Item) -> None:
    """The publicity period is over: list the item, give it its listing number (once, ever) and register
    it (a registration code valid three years)."""
    now = utcnow()
    before = item.status
    item.status = ListingStatus.LISTED
    item.listed_at = now
    item.updated_at = now
    if isinstance(item, DataProduct) and item.listing_no is None:
        item.listing_no = next_listing_no(session, now.year)  # unique: a clash rolls the run back
    if isinstance(item, DataProduct):
        record_price(session, item, local_date(now))  # the fee it publishes from today
    system = Actor(label="system:publicity", is_system=True)
    register(session, system, kind, item, Act.FIRST, on=local_date(now))  # 赋码: a code and its validity
    _record(session, system, kind, item, before, ListingStatus.LISTED, "the publicity period ended", None)
    if isinstance(item, DataProduct):
        follows.tell_followers(session, item, "listed")


def _record(
    session: Session,
    actor: Actor,
    kind: str,
    item: Item,
    before: str,
    after: str,
    reason: str,
    checklist: dict[str, Any] | None,
    by_staff: bool = False,
) -> None:
    session.add(item)
    session.flush()
    session.add(
        ListingEvent(
            kind=kind,
            item_id=saved_id(item),
            from_status=before,
            to_status=after,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            by_staff=by_staff,
            reason=reason,
            checklist=checklist,
        )
    )
    key = item.slug if isinstance(item, DataProduct) else item.code
    audit.record(
        session,
        actor,
        f"{kind}.transition",
        kind,
        key,
        f"{before} → {after}" + (f": {reason}" if reason else ""),
        before={"status": before},
        after={"status": after, **({"checklist": checklist} if checklist else {})},
    )
    url = product_url(key) if kind == "product" else dataset_url(key)
    session.add(
        Notification(
            organization_id=item.provider_id,
            text=(f"{item.title}: {before} → {after}" + (f" ({reason})" if reason else ""))[:500],
            link=url,
        )
    )
    session.flush()


def promote_due(session: Session, now: dt.datetime | None = None) -> int:
    """List every item whose publicity period has ended (run on a timer); how many were listed."""
    now = now or utcnow()
    count = 0
    for kind, model in MODELS.items():
        due = session.exec(
            _select_items(model).where(
                col(model.status) == ListingStatus.PUBLICITY,
                col(model.publicity_ends_at) != None,  # noqa: E711
                col(model.publicity_ends_at) <= now,
            )
        ).all()
        held = set(
            session.exec(
                select(Objection.item_id).where(Objection.kind == kind, Objection.status == "open")
            ).all()
        )
        for item in due:
            if item.id in held:  # an open objection holds the listing until a reviewer answers it
                continue
            count += _list_if_still_due(session, kind, model, item)
    return count


def _list_if_still_due(session: Session, kind: str, model: type[Item], item: Item) -> int:
    """List the item only if, at the moment of writing, it is still in publicity with no open
    objection: a reviewer's step, an objection or another node's timer since it was read wins."""
    claimed = session.exec(
        update(model)
        .where(
            col(model.id) == item.id,
            col(model.status) == ListingStatus.PUBLICITY,
            ~exists().where(
                col(Objection.kind) == kind,
                col(Objection.item_id) == item.id,
                col(Objection.status) == "open",
            ),
        )
        .values(status=ListingStatus.LISTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return 0
    session.refresh(item)
    item.status = ListingStatus.PUBLICITY  # what it was, for the record below
    _list(session, kind, item)
    return 1


def timeline(session: Session, kind: str, item_id: int, viewer: Actor) -> list[TimelineEntry]:
    """The item's steps, each with who made it: a step made as the port's staff (a reviewer's, or an
    administrator's for another organization) names its maker (an e-mail address) to the port's staff
    only; to the provider's people it is by "the reviewers"."""
    rows = session.exec(
        select(ListingEvent)
        .where(ListingEvent.kind == kind, ListingEvent.item_id == item_id)
        .order_by(col(ListingEvent.id))
    )
    named = can_review(viewer)
    return [
        TimelineEntry(
            at=e.at,
            from_status=e.from_status,
            to_status=e.to_status,
            actor=e.actor_label if named or not e.by_staff else "",
            reason=e.reason,
            by_reviewers=e.by_staff,
        )
        for e in rows
    ]


# --- the owner's workspace and the reviewers' queue ----------------------------------------------
class ItemLine(BaseModel):
    """A product or dataset as the workspace and the review queue list it."""

    kind: str
    key: str
    title: str
    title_en: str
    status: str
    provider: str
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    publicity_ends_at: dt.datetime | None
    owner_url: str
    review_url: str
    public_url: str


class NotificationLine(BaseModel):
    text: str
    link: str
    created_at: dt.datetime
    read: bool


class Workspace(BaseModel):
    organizations: list[tuple[int, str, str]]  # id, name, role
    items: list[ItemLine]
    notifications: list[NotificationLine]
    counts: dict[str, int]
    can_list: bool  # owns an organization (or administers): may create listings
    authorizations: list[AuthorizationPublic] = []  # the organizations' own, ending soonest first


def _line(kind: str, item: Item, provider: str) -> ItemLine:
    key = item.slug if isinstance(item, DataProduct) else item.code
    return ItemLine(
        kind=kind,
        key=key,
        title=item.title,
        title_en=item.title_en,
        status=item.status,
        provider=provider,
        updated_at=item.updated_at,
        submitted_at=item.submitted_at,
        publicity_ends_at=item.publicity_ends_at,
        owner_url=owner_item_url(kind, key),
        review_url=review_item_url(kind, key),
        public_url=product_url(key) if kind == "product" else dataset_url(key),
    )


def workspace(session: Session, actor: Actor, status: str | None = None) -> Workspace:
    """Everything of the actor's organizations, in every state (of one state when ``status``)."""
    if actor.user_id is None:
        raise NotFound("sign in to see your organization's listings")
    orgs = session.exec(
        select(Organization.id, Organization.name, Membership.role)
        .join(Membership, col(Membership.organization_id) == col(Organization.id))
        .where(Membership.user_id == actor.user_id)
        .order_by(col(Organization.name))
    ).all()
    ids = [o[0] for o in orgs]
    names = {o[0]: o[1] for o in orgs}
    items: list[ItemLine] = []
    counts: dict[str, int] = {}
    for kind, model in MODELS.items():
        rows = session.exec(
            _select_items(model).where(col(model.provider_id).in_(ids)).order_by(col(model.updated_at).desc())
        ).all()
        for row in rows:
            counts[row.status] = counts.get(row.status, 0) + 1
            if status is None or row.status == status:
                items.append(_line(kind, row, names[row.provider_id]))
    notes = session.exec(
        select(Notification)
        .where(col(Notification.organization_id).in_(ids) | (Notification.user_id == actor.user_id))
        .order_by(col(Notification.id).desc())
        .limit(20)
    ).all()
    return Workspace(
        organizations=[(cast(int, o[0]), o[1], o[2]) for o in orgs],  # a selected primary key: never None
        items=items,
        notifications=[
            NotificationLine(text=n.text, link=n.link, created_at=n.created_at, read=n.read_at is not None)
            for n in notes
        ],
        counts=counts,
        can_list=can_create_listings(actor),
        authorizations=operator_authorizations(session, [i for i in ids if i is not None]),
    )


def review_queue(session: Session, actor: Actor) -> list[ItemLine]:
    """Items waiting for a reviewer (submitted or in review), longest waiting first."""
    if not can_review(actor):
        raise Forbidden(N_("Only reviewers see the review queue."))
    waiting = (ListingStatus.SUBMITTED, ListingStatus.IN_REVIEW)
    lines: list[ItemLine] = []
    for kind, model in MODELS.items():
        rows = session.exec(
            select(model, Organization.name)
            .join(Organization, col(Organization.id) == col(model.provider_id))
            .where(col(model.status).in_(waiting))
        ).all()
        lines += [_line(kind, cast(Item, item), name) for item, name in rows]  # select() of either: SQLModel
    return sorted(lines, key=lambda line: line.submitted_at or line.updated_at)


class ItemOverview(BaseModel):
    """One item as its owner or reviewer works on it: the next steps open to the actor, its history."""

    line: ItemLine
    steps: list[dict[str, Any]]  # {"to", "label", "needs_reason", "needs_checklist"}
    timeline: list[TimelineEntry]
    editable: bool


def overview(session: Session, actor: Actor, kind: str, key: str) -> ItemOverview:
    item = find_item(session, actor, kind, key)
    if not can_follow_listing_work(actor, item.provider_id):
        raise NotFound(f"no {kind} {key!r}")
    provider = session.get(Organization, item.provider_id)
    return ItemOverview(
        line=_line(kind, item, provider.name if provider else ""),
        steps=step_views(available(actor, item)),
        timeline=timeline(session, kind, saved_id(item), actor),
        editable=can_manage_listings_of(actor, item.provider_id)
        and (states.is_editable(item) or (kind == "product" and states.is_listed(item))),  # a new version
    )


# --- objections during publicity (异议) -----------------------------------------------------------
class ObjectionCreate(BaseModel):
    reason: str = Field(min_length=10, max_length=5000)


class ObjectionAnswer(BaseModel):
    uphold: bool
    answer: str = Field(min_length=2, max_length=5000)


class ObjectionPublic(BaseModel):
    id: int
    organization: str
    reason: str
    status: str
    answer: str
    created_at: dt.datetime
    answered_at: dt.datetime | None


def file_objection(
    session: Session, actor: Actor, kind: str, key: str, data: ObjectionCreate
) -> ObjectionPublic:
    """Any signed-in organization objects to a listing in publicity; the objection holds the listing
    (it is not listed when the period ends) until a reviewer answers it."""
    require_write(actor)
    item = find_item(session, actor, kind, key)
    if item.status != ListingStatus.PUBLICITY:
        raise InvalidTransition(f"only a {kind} in its publicity period can be objected to", allowed=[])
    if not acts_for_an_organization(actor):
        raise Forbidden(N_("Objections are filed on behalf of an organization: join one first."))
    check_hourly(
        session, col(Objection.user_id), col(Objection.created_at), actor.user_id, OBJECTIONS_PER_HOUR
    )
    org_id = min(actor.organizations)
    objection = Objection(
        kind=kind,
        item_id=saved_id(item),
        organization_id=org_id,
        user_id=actor.user_id,
        reason=data.reason.strip(),
    )
    session.add(objection)
    session.flush()
    audit.record(
        session,
        actor,
        "objection.file",
        kind,
        _key(item),
        f"objection {objection.id}: {objection.reason[:200]}",
    )
    session.add(
        Notification(
            organization_id=item.provider_id,
            text=f"{item.title}: an objection was filed during publicity",
            link=owner_item_url(kind, _key(item)),
        )
    )
    return _objection_public(session, objection)


def answer_objection(
    session: Session, settings: Settings, actor: Actor, objection_id: int, data: ObjectionAnswer
) -> ObjectionPublic:
    """A reviewer upholds (the listing goes back to its owner, with the answer as the reason) or
    dismisses an open objection, with a recorded answer."""
    require_write(actor)
    if not can_review(actor):
        raise Forbidden(N_("Only reviewers answer objections."))
    objection = session.get(Objection, objection_id) if 0 < objection_id <= MAX_ID else None
    if objection is None:
        raise NotFound("no such objection")
    target = _get_item(session, objection.kind, objection.item_id)
    if target is None or not can_review_listing_of(actor, target.provider_id):
        raise Forbidden(N_("Your role may not make this change."))
    answered = InvalidTransition("this objection has been answered", allowed=[])
    if objection.status != "open":
        raise answered
    if not db.claim_status(session, objection, "open", "upheld" if data.uphold else "dismissed"):
        raise answered  # another reviewer answered it meanwhile: nothing written here
    objection.answer = data.answer.strip()
    objection.answered_by = actor.label
    objection.answered_at = utcnow()
    item = _get_item(session, objection.kind, objection.item_id)
    assert item is not None
    audit.record(
        session, actor, f"objection.{objection.status}", objection.kind, _key(item), objection.answer[:200]
    )
    if data.uphold and item.status == ListingStatus.PUBLICITY:
        step = workflow.find(
            ListingStatus.PUBLICITY, ListingStatus.CHANGES_REQUESTED, by_system=actor.is_system
        )
        assert step is not None
        reason = f"objection upheld: {objection.answer}"
        _apply(
            session,
            settings,
            actor,
            objection.kind,
            item,
            step,
            TransitionRequest(to=step.target, reason=reason),
        )
    return _objection_public(session, objection)


def objections(session: Session, actor: Actor, kind: str, key: str) -> list[ObjectionPublic]:
    """The objections to an item: all of them for its owners and reviewers, the actor's own otherwise."""
    item = find_item(session, actor, kind, key)
    query = (
        select(Objection)
        .where(Objection.kind == kind, Objection.item_id == item.id)
        .order_by(col(Objection.id))
    )
    if not can_see_every_objection(actor, item.provider_id):
        query = query.where(col(Objection.organization_id).in_(actor.organizations))
    return [_objection_public(session, o) for o in session.exec(query)]


def _objection_public(session: Session, objection: Objection) -> ObjectionPublic:
    org = session.get(Organization, objection.organization_id)
    return ObjectionPublic(
        id=saved_id(objection),
        organization=org.name if org else "",
        reason=objection.reason,
        status=objection.status,
        answer=objection.answer,
        created_at=objection.created_at,
        answered_at=objection.answered_at,
    )


def _key(item: Item) -> str:
    return item.slug if isinstance(item, DataProduct) else item.code
