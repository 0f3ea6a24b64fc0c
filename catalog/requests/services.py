"""Access requests: an enterprise asks for a listed product, the provider's owners answer, step by step,
in the table of ``workflow.STEPS``; every step is an audit event, a timeline entry, a notification to
the other side and a mail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ColumnElement, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog import db, workdays
from catalog.accounts import mail
from catalog.accounts.limits import MESSAGES_PER_HOUR, check_hourly
from catalog.accounts.models import Membership, Organization, User
from catalog.audit import services as audit
from catalog.authorizations.queries import check_requestable
from catalog.errors import Duplicate, Forbidden, Invalid, InvalidTransition, NotFound
from catalog.i18n import N_
from catalog.licences.models import Licence
from catalog.listings.models import Notification
from catalog.listings.states import is_listed
from catalog.listings.urls import request_url
from catalog.models_base import MAX_ID, saved_id, utcnow
from catalog.pagination import Page
from catalog.permissions import (
    Actor,
    can_answer_request,
    can_open_request_for_good,
    can_request_access,
    can_request_product_of,
    can_view_request,
    is_provider_of,
    is_requester_of,
    providing_organizations,
    requesting_organizations,
    require,
    require_person,
    require_write,
)
from catalog.products.models import DataProduct
from catalog.registrations.queries import check_registration
from catalog.requests import workflow
from catalog.requests.models import AccessRequest, RequestEvent, RequestMessage, is_overdue, overdue_sql
from catalog.requests.workflow import RequestStatus
from catalog.sealing import is_sealed, seal, unseal

ANSWER_WORKING_DAYS = 5  # the default of CATALOG_REQUEST_ANSWER_DAYS


class RequestCreate(BaseModel):
    """``{"product_id", "purpose", "scenario", "term_months", "accept_license", "contact", …}``"""

    product_id: str = Field(min_length=1, max_length=120)  # the product's id (its address)
    purpose: str = Field(min_length=5, max_length=2000)
    scenario: str = Field(min_length=5, max_length=2000)
    term_months: int = Field(ge=1, le=120)
    expected_volume: str = Field(default="", max_length=200)
    contact: str = Field(min_length=5, max_length=200)
    accept_licence: bool = Field(alias="accept_license")  # the published field's spelling
    organization: str | None = Field(default=None, max_length=64)  # which of the caller's, by slug

    @field_validator("accept_licence")
    @classmethod
    def _accepted(cls, value: bool) -> bool:
        if not value:
            raise ValueError(N_("Accept the product's licence terms to request it."))
        return value


class Delivery(BaseModel):
    method: str
    details: str = Field(min_length=3, max_length=5000)
    expires_at: dt.datetime | None = None

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        """A date or time without a zone (a form's date field) is read as UTC; years 2000 to 2100."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        if not 2000 <= value.year <= 2100:
            raise ValueError(N_("Give a date between 2000 and 2100."))
        try:
            return value.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValueError(N_("Give a date between 2000 and 2100.")) from None

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in workflow.DELIVERY_METHODS:
            raise ValueError(N_("Choose how access was delivered."))
        return value


class StepRequest(BaseModel):
    to: str = Field(min_length=1, max_length=24)
    reason: str = Field(default="", max_length=2000)
    delivery: Delivery | None = None


class MessageCreate(BaseModel):
    body: str = Field(min_length=1, max_length=5000)


class EventPublic(BaseModel):
    at: dt.datetime
    from_status: str | None
    to_status: str
    reason: str


class MessagePublic(BaseModel):
    id: int
    author: str
    side: str
    body: str
    at: dt.datetime
    read: bool


class RequestPublic(BaseModel):
    id: int
    product_id: str
    product_title: str
    requester: str
    requester_verified: bool = False  # its details checked by the port's administrators
    provider: str
    status: str
    purpose: str
    scenario: str
    term_months: int
    expected_volume: str
    contact: str
    attachment: str
    licence: str
    licence_version: int
    due_at: dt.datetime | None
    overdue: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    allowed: list[str] = Field(default_factory=list)  # steps open to the caller
    delivery: dict[str, Any] | None = None
    events: list[EventPublic] = Field(default_factory=list)
    messages: list[MessagePublic] = Field(default_factory=list)


# Supporting files a requester may attach, recognized by their first bytes, not their names.
ATTACHMENT_TYPES = {
    b"%PDF-": ".pdf",
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
    b"PK\x03\x04": ".zip",
}


def _attachment_suffix(name: str, content: bytes) -> str:
    for magic, suffix in ATTACHMENT_TYPES.items():
        if content.startswith(magic):
            lowered = name.lower()
            if suffix == ".zip":  # Office files are zip archives; a plain archive is not accepted
                if lowered.endswith((".docx", ".xlsx")):
                    return lowered[-5:]
                break
            return suffix
    message = N_("Attach a PDF, an image (PNG, JPEG) or an Office document (DOCX, XLSX).")
    raise Invalid(message, fields={"attachment": message})


def create_request(
    session: Session,
    actor: Actor,
    data: RequestCreate,
    attachment: tuple[str, bytes] | None = None,
    store: tuple[Path, int] | None = None,
    answer_days: int = ANSWER_WORKING_DAYS,
) -> RequestPublic:
    """A member of an organization requests a listed product for it; 409 while one is open. An
    ``attachment`` (name, content) is checked and kept under ``store`` (uploads dir, size limit),
    once the request is committed."""
    require_write(actor)
    require(
        can_request_access(actor),
        actor,
        N_("Access is requested for an organization: join one that is active (not suspended)."),
    )
    product = session.exec(select(DataProduct).where(DataProduct.slug == data.product_id)).first()
    if product is None or not is_listed(product):
        raise Invalid(
            N_("Please correct the marked fields."),
            fields={"product_id": N_("Only listed products can be requested.")},
        )
    check_requestable(session, product)
    check_registration(session, product.id)
    org = _requesting_org(session, actor, data.organization)
    if not can_request_product_of(actor, saved_id(org), product.provider_id):
        raise Invalid(
            N_("Please correct the marked fields."),
            fields={"product_id": N_("This is your own organization's product.")},
        )
    open_one = session.exec(
        select(AccessRequest).where(
            AccessRequest.product_id == product.id,
            AccessRequest.requester_org_id == org.id,
            col(AccessRequest.status).in_(workflow.OPEN),
        )
    ).first()
    if open_one is not None:
        raise Duplicate(
            N_("Your organization has an open request for this product."),
            existing=request_url(saved_id(open_one)),
        )
    licence = session.get(Licence, product.licence_id)
    now = utcnow()
    request = AccessRequest(
        product_id=saved_id(product),
        requester_org_id=saved_id(org),
        requester_user_id=require_person(actor),  # a person: can_request_access above
        purpose=data.purpose.strip(),
        scenario=data.scenario.strip(),
        term_months=data.term_months,
        expected_volume=data.expected_volume.strip(),
        contact=data.contact.strip(),
        licence_id=product.licence_id,
        licence_version=licence.version if licence else 1,
        due_at=workdays.working_days_later(now, answer_days),
    )
    if attachment is not None and store is not None:
        name, content = attachment
        if len(content) > store[1]:
            message = N_("The attachment is larger than the upload limit.")
            raise Invalid(message, fields={"attachment": message})
        suffix = _attachment_suffix(name, content)
        request.attachment_name = Path(name).name[:200] or f"attachment{suffix}"
    session.add(request)
    try:
        with session.begin_nested():  # the database's one-open-request index settles a race
            session.flush()
    except IntegrityError:
        raise Duplicate(N_("Your organization has an open request for this product.")) from None
    if attachment is not None and store is not None:
        target = store[0] / "requests" / str(request.id) / f"attachment{suffix}"
        db.write_on_commit(session, target, attachment[1])
    _event(session, actor, request, None, RequestStatus.SUBMITTED, "")
    _tell(session, product.provider_id, request, product, f"new access request from {org.name}")
    return get_request(session, actor, saved_id(request))


def requester_defaults(session: Session, actor: Actor) -> tuple[list[tuple[str, str]], str]:
    """The organizations the actor may request for (slug, name), and a contact line to start from."""
    orgs = session.exec(
        select(Organization)
        .where(col(Organization.id).in_(actor.organizations))
        .order_by(col(Organization.id))
    ).all()
    user = session.get(User, actor.user_id) if actor.user_id else None
    contact = " ".join(p for p in ((user.display_name if user else ""), (user.email if user else "")) if p)
    return [(o.slug, o.name) for o in orgs], contact


def _requesting_org(session: Session, actor: Actor, slug: str | None) -> Organization:
    orgs = session.exec(select(Organization).where(col(Organization.id).in_(actor.organizations))).all()
    chosen = [o for o in orgs if slug in (None, o.slug)]
    if not chosen:
        raise Invalid(
            N_("Please correct the marked fields."),
            fields={"organization": N_("Choose one of your organizations.")},
        )
    return sorted(chosen, key=lambda o: o.id or 0)[0]


def _sides(actor: Actor, request: AccessRequest, provider_id: int) -> set[workflow.Side]:
    sides = set()
    if is_requester_of(actor, request.requester_org_id):
        sides.add(workflow.Side.REQUESTER)
    if is_provider_of(actor, provider_id):
        sides.add(workflow.Side.PROVIDER)
    if actor.is_system:
        sides.add(workflow.Side.SYSTEM)
    return sides


def _load(session: Session, actor: Actor, request_id: int) -> tuple[AccessRequest, DataProduct]:
    """The request, if the actor is on one side of it (or administers); 404 otherwise."""
    request = session.get(AccessRequest, request_id) if 0 < request_id <= MAX_ID else None
    product = session.get(DataProduct, request.product_id) if request else None
    if request is None or product is None:
        raise NotFound("no such request")
    if not (can_view_request(actor, request.requester_org_id, product.provider_id) or actor.is_system):
        raise NotFound("no such request")
    return request, product


def get_request(session: Session, actor: Actor, request_id: int, reveal: bool = False) -> RequestPublic:
    """One request with its timeline and messages. ``reveal`` (a person opening it: GET, able to
    write) marks the other side's messages read. The delivery details are not in it: the requester's
    members ask for them (``delivery_details``)."""
    request, product = _load(session, actor, request_id)
    sides = _sides(actor, request, product.provider_id)
    now = utcnow()
    reveal = reveal and can_open_request_for_good(actor)
    if reveal:
        members = _requester_members(session, request)
        for message in session.exec(select(RequestMessage).where(RequestMessage.request_id == request.id)):
            if message.read_at is None and _side_of(message, members) not in sides:
                message.read_at = now
    return _public(session, request, product, sides)


DELIVERY_SEAL = "request delivery details"  # the purpose their sealing key is derived for


def _delivery_in_force(request: AccessRequest, now: dt.datetime) -> bool:
    """Whether the request has delivery details that its requester may still retrieve."""
    delivered = request.status in workflow.DELIVERY_SEEN and bool(request.delivery_details)
    return delivered and (request.delivery_expires_at is None or request.delivery_expires_at > now)


def delivery_details(session: Session, actor: Actor, request_id: int, secret_key: str) -> str:
    """The delivery details of a delivered request, for a member of the requesting organization who
    asks for them, as often as needed while the access lasts; each time is audited. They are kept
    sealed (``catalog.sealing``)."""
    require_write(actor)  # a person, or a write token: not a read-only token
    request, product = _load(session, actor, request_id)
    if workflow.Side.REQUESTER not in _sides(actor, request, product.provider_id):
        raise Forbidden(N_("Only the requesting organization sees the delivery details."))
    if request.status not in workflow.DELIVERY_SEEN or not request.delivery_details:
        raise NotFound("this request has no delivery details")
    now = utcnow()
    if not _delivery_in_force(request, now):
        raise Forbidden(N_("The access delivered has expired: request it again to renew it."))
    details = unseal(request.delivery_details, secret_key, DELIVERY_SEAL)
    if details is None:
        raise Invalid(
            N_(
                "The delivery details cannot be read with this service's key: ask the provider to deliver"
                " them again."
            )
        )
    if not is_sealed(request.delivery_details):  # written before sealing existed: sealed from now on
        request.delivery_details = seal(details, secret_key, DELIVERY_SEAL)
    request.delivery_seen_at = request.delivery_seen_at or now
    audit.record(
        session, actor, "request.delivery_view", "request", str(request.id), "delivery details shown"
    )
    return details


def _requester_members(session: Session, request: AccessRequest) -> set[int]:
    """The users of the requesting organization: whoever else writes is on the provider's side."""
    members = session.exec(
        select(Membership.user_id).where(Membership.organization_id == request.requester_org_id)
    ).all()
    return set(members)


def _side_of(message: RequestMessage, requester_members: set[int]) -> workflow.Side:
    return workflow.Side.REQUESTER if message.author_user_id in requester_members else workflow.Side.PROVIDER


def _public(
    session: Session,
    request: AccessRequest,
    product: DataProduct,
    sides: set[workflow.Side],
    full: bool = True,
) -> RequestPublic:
    """A request as its two sides see it; with ``full``, its timeline and thread too (lists leave
    them out)."""
    requester = session.get(Organization, request.requester_org_id)
    provider = session.get(Organization, product.provider_id)
    licence = session.get(Licence, request.licence_id)
    events: list[RequestEvent] = []
    messages: list[RequestMessage] = []
    authors: dict[int | None, str] = {}
    members: set[int] = set()
    if full:
        events = list(
            session.exec(
                select(RequestEvent)
                .where(RequestEvent.request_id == request.id)
                .order_by(col(RequestEvent.id))
            )
        )
        messages = list(
            session.exec(
                select(RequestMessage)
                .where(RequestMessage.request_id == request.id)
                .order_by(col(RequestMessage.id))
            )
        )
        writers = session.exec(select(User).where(col(User.id).in_({m.author_user_id for m in messages})))
        authors = {u.id: u.display_name or u.email for u in writers}
        members = _requester_members(session, request) if messages else set()
    now = utcnow()
    return RequestPublic(
        id=saved_id(request),
        product_id=product.slug,
        product_title=product.title,
        requester=requester.name if requester else "",
        requester_verified=bool(requester and requester.verified),
        provider=provider.name if provider else "",
        status=request.status,
        purpose=request.purpose,
        scenario=request.scenario,
        term_months=request.term_months,
        expected_volume=request.expected_volume,
        contact=request.contact,
        attachment=request.attachment_name,
        licence=licence.name if licence else "",
        licence_version=request.licence_version,
        due_at=request.due_at,
        overdue=is_overdue(request, now),
        created_at=request.created_at,
        updated_at=request.updated_at,
        allowed=workflow.targets(request.status, sides - {workflow.Side.SYSTEM}),
        delivery=(
            {
                "method": request.delivery_method,
                "expires_at": request.delivery_expires_at,
                "details_for_you": workflow.Side.REQUESTER in sides and _delivery_in_force(request, now),
            }
            if request.delivery_method
            else None
        ),
        events=[
            EventPublic(at=e.at, from_status=e.from_status, to_status=e.to_status, reason=e.reason)
            for e in events
        ],
        messages=[
            MessagePublic(
                id=saved_id(m),
                author=authors.get(m.author_user_id, ""),
                side=_side_of(m, members).value,
                body=m.body,
                at=m.at,
                read=m.read_at is not None,
            )
            for m in messages
        ],
    )


def attachment_file(session: Session, actor: Actor, request_id: int, uploads_dir: Path) -> tuple[Path, str]:
    """The stored attachment of a request (for its two sides) and its original name."""
    request, _ = _load(session, actor, request_id)
    folder = uploads_dir / "requests" / str(request.id)
    files = sorted(folder.glob("attachment.*")) if request.attachment_name else []
    if not files:
        raise NotFound("this request has no attachment")
    return files[0], request.attachment_name


def transition(
    session: Session, actor: Actor, request_id: int, step_request: StepRequest, *, secret_key: str
) -> RequestPublic:
    """One step of a request, by the side whose step it is; 409 with the steps open to the actor. The
    delivery details of a delivery are sealed with ``secret_key``."""
    require_write(actor)
    request, product = _load(session, actor, request_id)
    sides = _sides(actor, request, product.provider_id)
    allowed = workflow.targets(request.status, sides - {workflow.Side.SYSTEM})
    step = next(
        (
            s
            for s in workflow.STEPS
            if s.source == request.status and s.target == step_request.to and s.side in sides
        ),
        None,
    )
    if step is None:
        if any(s.source == request.status and s.target == step_request.to for s in workflow.STEPS):
            raise Forbidden(N_("Your role may not make this change."))
        raise InvalidTransition(
            f"a request in state {request.status} cannot move to {step_request.to!r}", allowed=allowed
        )
    if step.side is workflow.Side.PROVIDER and not can_answer_request(
        actor, request.requester_org_id, product.provider_id
    ):
        raise Forbidden(N_("You are on both sides of this request: another owner answers it."))
    if step.needs_reason and not step_request.reason.strip():
        raise Invalid(N_("Please correct the marked fields."), fields={"reason": N_("Give the reason.")})
    if step.needs_delivery:
        if step_request.delivery is None:
            raise Invalid(
                N_("Please correct the marked fields."),
                fields={"delivery": N_("Say how access was delivered.")},
            )
        request.delivery_method = step_request.delivery.method
        request.delivery_details = seal(step_request.delivery.details.strip(), secret_key, DELIVERY_SEAL)
        request.delivery_expires_at = step_request.delivery.expires_at
    before = request.status
    if not _claim(session, request, before, step.target):
        raise InvalidTransition("the request has moved on meanwhile: reload it", allowed=[])
    request.updated_at = utcnow()
    if step.target == RequestStatus.SUBMITTED:  # answered more questions: a new answer is due
        request.due_at = workdays.working_days_later(request.updated_at, ANSWER_WORKING_DAYS)
    _event(session, actor, request, before, step.target, step_request.reason.strip())
    other = request.requester_org_id if step.side is workflow.Side.PROVIDER else product.provider_id
    _tell(
        session,
        other,
        request,
        product,
        f"{before} → {step.target}" + (f": {step_request.reason}" if step_request.reason else ""),
    )
    return get_request(session, actor, request_id)


def post_message(session: Session, actor: Actor, request_id: int, data: MessageCreate) -> RequestPublic:
    """A message in the request's thread, from either side."""
    require_write(actor)
    request, product = _load(session, actor, request_id)
    sides = _sides(actor, request, product.provider_id)
    if not sides & {workflow.Side.REQUESTER, workflow.Side.PROVIDER}:
        raise Forbidden(N_("Your role may not make this change."))
    check_hourly(
        session, col(RequestMessage.author_user_id), col(RequestMessage.at), actor.user_id, MESSAGES_PER_HOUR
    )
    session.add(
        RequestMessage(
            request_id=saved_id(request), author_user_id=require_person(actor), body=data.body.strip()
        )
    )
    other = request.requester_org_id if workflow.Side.PROVIDER in sides else product.provider_id
    _tell(session, other, request, product, "new message")
    session.flush()
    return get_request(session, actor, request_id)


LIST_PAGE = 200  # requests a list shows at once, newest first
LAST_PAGE = 100_000


def _of_side(actor: Actor, side: str) -> ColumnElement[bool]:
    """``mine`` (the caller's organizations' requests) or ``incoming`` (for products they own), as a
    condition on ``access_request`` joined to its product."""
    if side == "incoming":
        return col(DataProduct.provider_id).in_(providing_organizations(actor))
    return col(AccessRequest.requester_org_id).in_(requesting_organizations(actor))


def _side_query(actor: Actor, side: str, *columns: Any) -> Any:
    """``select(*columns)`` over the requests of that side, each joined to its product."""
    return (
        select(*columns)
        .select_from(AccessRequest)
        .join(DataProduct, col(DataProduct.id) == col(AccessRequest.product_id))
        .where(_of_side(actor, side))
    )


def list_requests(
    session: Session,
    actor: Actor,
    side: str,
    status: str | None = None,
    page: int = 1,
    per_page: int = LIST_PAGE,
) -> list[RequestPublic]:
    """One page (newest first) of ``mine`` (the caller's organizations' requests) or ``incoming``
    (for products they own), of one state when ``status``."""
    require(actor.user_id is not None, actor)
    query = _side_query(actor, side, AccessRequest, DataProduct)
    if status:
        query = query.where(AccessRequest.status == status)
    page = max(1, min(page, LAST_PAGE))
    query = query.order_by(col(AccessRequest.id).desc()).offset((page - 1) * per_page).limit(per_page)
    out = []
    for request, product in session.exec(query).all():
        out.append(
            _public(session, request, product, _sides(actor, request, product.provider_id), full=False)
        )
    return out


class Inbox(Page[RequestPublic]):
    """ "My requests" or "incoming requests": one page of the state asked for (of all when none;
    ``total`` counts that state), with the counts over all of them."""

    counts: dict[str, int]  # per state, over all of them
    overdue: int  # over all of them


def inbox(
    session: Session,
    actor: Actor,
    side: str,
    status: str | None = None,
    page: int = 1,
    per_page: int = LIST_PAGE,
) -> Inbox:
    """ "My requests" or "incoming requests": one page of one state's, with the counts of every state
    and how many wait past their answer date, counted by the database over all of them."""
    page = max(1, min(page, LAST_PAGE))
    items = list_requests(session, actor, side, status, page, per_page)
    by_status = _side_query(actor, side, AccessRequest.status, func.count()).group_by(AccessRequest.status)
    counts = {state: int(n) for state, n in session.exec(by_status).all()}
    late = _side_query(actor, side, func.count()).where(overdue_sql(utcnow()))
    total = counts.get(status, 0) if status else sum(counts.values())
    return Inbox(
        items=items,
        counts=counts,
        overdue=session.exec(late).one(),
        total=total,
        page=page,
        per_page=per_page,
    )


def expire_undecided(session: Session, days: int, now: dt.datetime | None = None) -> int:
    """Requests left undecided ``days`` after they were made expire, both sides told."""
    now = now or utcnow()
    system = Actor(label="system:expiry", is_system=True)
    count = 0
    rows = session.exec(
        select(AccessRequest, DataProduct)
        .join(DataProduct, col(DataProduct.id) == col(AccessRequest.product_id))
        .where(
            col(AccessRequest.status).in_(workflow.UNDECIDED),
            AccessRequest.created_at < now - dt.timedelta(days=days),
        )
    ).all()
    for request, product in rows:
        before = request.status
        if not _claim(session, request, before, RequestStatus.EXPIRED):  # answered meanwhile: it stands
            continue
        request.updated_at = now
        _event(session, system, request, before, RequestStatus.EXPIRED, f"undecided after {days} days")
        for org in (request.requester_org_id, product.provider_id):
            _tell(session, org, request, product, f"expired after {days} days without a decision")
        count += 1
    return count


def _claim(session: Session, request: AccessRequest, before: str, after: str) -> bool:
    """Move the request from ``before`` to ``after`` only if it is still ``before`` when written: of
    two steps taken at once (an answer and the expiry timer, say) one wins and the other sees it."""
    moved = session.exec(
        update(AccessRequest)
        .where(col(AccessRequest.id) == request.id, col(AccessRequest.status) == before)
        .values(status=after)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved:
        session.refresh(request)
    return bool(moved)


def _event(
    session: Session, actor: Actor, request: AccessRequest, before: str | None, after: str, reason: str
) -> None:
    session.add(
        RequestEvent(
            request_id=saved_id(request),
            actor_user_id=actor.user_id,
            from_status=before,
            to_status=after,
            reason=reason,
        )
    )
    audit.record(
        session,
        actor,
        "request.transition" if before else "request.create",
        "request",
        str(request.id),
        f"{before or 'new'} → {after}" + (f": {reason}" if reason else ""),
        before={"status": before} if before else None,
        after={"status": after},
    )


def _tell(session: Session, org_id: int, request: AccessRequest, product: DataProduct, what: str) -> None:
    """A notification and a mail to each person on that side: the requesting organization's members,
    or the provider's owners (its other members do not see requests)."""
    text = f"{product.title} · request {request.id}: {what}"
    query = (
        select(User.id, User.email)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.organization_id == org_id, User.is_active == True)  # noqa: E712
    )
    if org_id == product.provider_id:
        query = query.where(Membership.role == "owner")
    people = session.exec(query).all()
    for user_id, _email in people:
        session.add(Notification(user_id=user_id, text=text[:500], link=request_url(saved_id(request))))
    for _user_id, email in people:
        mail.queue(
            session, email, f"淮安市数据港：数据使用申请 {request.id} / access request {request.id}", text
        )
