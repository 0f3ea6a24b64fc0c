"""Organization use cases, and the administrators' management of organizations and accounts (sign-in,
sessions, tokens and role changes themselves live in ``auth``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal, cast

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog.accounts import auth
from catalog.accounts.models import (
    Membership,
    Organization,
    OrganizationCreate,
    OrganizationPublic,
    OrganizationRef,
    User,
)
from catalog.audit import services as audit
from catalog.audit.models import AuditEvent
from catalog.datasets.models import Dataset
from catalog.errors import Invalid, InvalidTransition, NotFound
from catalog.i18n import N_
from catalog.listings.states import listed_sql
from catalog.models_base import MAX_ID, saved_id
from catalog.pagination import Page, PageParams
from catalog.permissions import Actor, can_administer, require, require_write
from catalog.products.models import DataProduct
from catalog.vocabularies import OrganizationKind


def import_organization(session: Session, actor: Actor, data: OrganizationCreate) -> bool:
    """Create the organization unless its slug or credit code exists; True when created."""
    existing = session.exec(
        select(Organization).where((Organization.slug == data.slug) | (Organization.code == data.code))
    ).first()
    if existing:
        return False
    session.add(Organization(**data.model_dump(), verified=True))
    session.flush()
    return True


def organization_ref(org: Organization) -> OrganizationRef:
    """How other items show an organization."""
    return OrganizationRef(
        id=org.slug, name=org.name, name_en=org.name_en, kind=org.kind, verified=org.verified
    )


def organization_refs(session: Session, ids: Iterable[int]) -> dict[int, OrganizationRef]:
    """How other items show each organization of ``ids``, by its id, in one query."""
    rows = session.exec(select(Organization).where(col(Organization.id).in_(set(ids))))
    return {org.id: organization_ref(org) for org in rows if org.id is not None}


def listed_counts_by_provider(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """How many listed products and how many listed datasets each organization provides, by its id."""
    return _listed_counts(session, DataProduct), _listed_counts(session, Dataset)


def _listed_counts(session: Session, model: type[DataProduct] | type[Dataset]) -> dict[int, int]:
    rows = session.exec(
        select(model.provider_id, func.count()).where(listed_sql(model)).group_by(col(model.provider_id))
    ).all()
    return dict(rows)


def organization_public(
    org: Organization, products: dict[int, int], datasets: dict[int, int]
) -> OrganizationPublic:
    """How an organization's page shows it, given ``listed_counts_by_provider``'s counts."""
    return OrganizationPublic(
        id=org.slug,
        name=org.name,
        name_en=org.name_en,
        kind=org.kind,
        code=org.code,
        short_name=org.short_name,
        description=org.description,
        region=org.region,
        website=org.website,
        verified=org.verified,
        products_listed=products.get(saved_id(org), 0),
        datasets_listed=datasets.get(saved_id(org), 0),
    )


def list_organizations(session: Session, kind: str | None, paging: PageParams) -> Page[OrganizationPublic]:
    """Organizations (of one kind, or all), departments first, then by name."""
    query = select(Organization).where(Organization.suspended == False)  # noqa: E712
    if kind:
        query = query.where(Organization.kind == kind)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(Organization.kind, col(Organization.id)).offset(paging.offset).limit(paging.per_page)
    )
    products, datasets = listed_counts_by_provider(session)
    return Page[OrganizationPublic](
        total=total,
        page=paging.page,
        per_page=paging.per_page,
        items=[organization_public(o, products, datasets) for o in rows],
    )


def get_organization(session: Session, slug: str) -> OrganizationPublic:
    """One organization. A suspended one is left out of the lists but keeps its page: its listings stay
    public, and they link to it."""
    org = session.exec(select(Organization).where(Organization.slug == slug)).first()
    if org is None:
        raise NotFound(f"no organization {slug!r}")
    return organization_public(org, *listed_counts_by_provider(session))


# --- administration: organizations ----------------------------------------------------------------
RESERVED_SLUGS = ("new",)  # /admin/organizations/new is the create form


class OrganizationFilters(PageParams):
    q: str = Field(default="", max_length=200)  # part of a name, short name or credit code
    kind: OrganizationKind | None = None
    state: Literal["verified", "unverified", "suspended"] | None = None
    per_page: int = Field(default=50, ge=1, le=100)


class MemberRow(BaseModel):
    user_id: int
    email: str
    role: str


class OrganizationAdmin(BaseModel):
    """An organization as administrators see and edit it."""

    slug: str
    code: str
    name: str
    name_en: str = ""
    short_name: str = ""
    kind: str
    description: str = ""
    region: str = ""
    address: str = ""
    contact_phone: str = ""
    website: str = ""
    verified: bool
    suspended: bool
    created_at: dt.datetime
    members: int = 0
    products_listed: int = 0
    datasets_listed: int = 0
    suspension_reason: str = ""  # why it is suspended, from the audit log
    people: list[MemberRow] = Field(default_factory=list)


def suggested_slug(name_en: str, code: str) -> str:
    """An address for a new organization: from its English name, else from its credit code."""
    words = re.sub(r"[^a-z0-9]+", "-", name_en.lower()).strip("-")
    if len(words) > 64:
        words = words[:64].rsplit("-", 1)[0]
    if len(words) >= 2:
        return words
    code = code.strip().lower()
    return f"org-{code}" if code.isalnum() else ""


def _admin_only(actor: Actor) -> None:
    require(can_administer(actor), actor, N_("Only administrators manage organizations and users."))


def list_organizations_for_admin(
    session: Session, actor: Actor, filters: OrganizationFilters
) -> Page[OrganizationAdmin]:
    """Every organization, suspended ones too, filtered by kind, state and a name or code."""
    _admin_only(actor)
    query = select(Organization)
    if filters.kind:
        query = query.where(Organization.kind == filters.kind)
    if filters.state == "verified":
        query = query.where(Organization.verified == True)  # noqa: E712
    elif filters.state == "unverified":
        query = query.where(Organization.verified == False)  # noqa: E712
    elif filters.state == "suspended":
        query = query.where(Organization.suspended == True)  # noqa: E712
    q = filters.q.strip()
    if q:
        query = query.where(
            col(Organization.name).icontains(q)
            | col(Organization.name_en).icontains(q)
            | col(Organization.short_name).icontains(q)
            | col(Organization.code).icontains(q)
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(Organization.kind, Organization.name).offset(filters.offset).limit(filters.per_page)
    ).all()
    members = dict(
        session.exec(
            select(Membership.organization_id, func.count())
            .where(col(Membership.organization_id).in_([o.id for o in rows]))
            .group_by(col(Membership.organization_id))
        ).all()
    )
    products, datasets = listed_counts_by_provider(session)
    return Page[OrganizationAdmin](
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        items=[_admin_view(o, members.get(saved_id(o), 0), products, datasets) for o in rows],
    )


def _admin_view(
    org: Organization, members: int, products: dict[int, int], datasets: dict[int, int]
) -> OrganizationAdmin:
    return OrganizationAdmin.model_validate(
        {
            **org.model_dump(exclude={"id"}),
            "members": members,
            "products_listed": products.get(saved_id(org), 0),
            "datasets_listed": datasets.get(saved_id(org), 0),
        }
    )


def _admin_organization(session: Session, actor: Actor, slug: str) -> Organization:
    _admin_only(actor)
    org = session.exec(select(Organization).where(Organization.slug == slug)).first()
    if org is None:
        raise NotFound(f"no organization {slug!r}")
    return org


def organization_for_admin(session: Session, actor: Actor, slug: str) -> OrganizationAdmin:
    """One organization with its people and, when suspended, the reason given."""
    org = _admin_organization(session, actor, slug)
    people = session.exec(
        select(User.id, User.email, Membership.role)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.organization_id == org.id)
        .order_by(User.email)
    ).all()
    view = _admin_view(org, len(people), *listed_counts_by_provider(session))
    # cast: the selected User.id is typed int | None, but a loaded row's primary key is never None
    view.people = [MemberRow(user_id=cast(int, i), email=e, role=r) for i, e, r in people]
    if org.suspended:
        last = session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.target_type == "organization",
                AuditEvent.target_id == org.slug,
                AuditEvent.action == "organization.suspend",
            )
            .order_by(col(AuditEvent.id).desc())
        ).first()
        view.suspension_reason = str((last.after or {}).get("reason", "")) if last else ""
    return view


def _organization_snapshot(org: Organization) -> dict[str, Any]:
    return org.model_dump(mode="json", exclude={"id", "created_at"})


def _taken(session: Session, data: OrganizationCreate, org_id: int | None = None) -> dict[str, str]:
    """The fields of ``data`` another organization already has (or a slug that cannot be an address)."""
    taken: dict[str, str] = {}
    others = select(Organization).where(Organization.id != org_id) if org_id else select(Organization)
    if data.slug in RESERVED_SLUGS or session.exec(others.where(Organization.slug == data.slug)).first():
        taken["slug"] = N_("An organization with this address exists: enter another.")
    if session.exec(others.where(Organization.code == data.code)).first():
        taken["code"] = N_("An organization with this credit code exists.")
    return taken


def create_organization(session: Session, actor: Actor, data: OrganizationCreate, verified: bool) -> str:
    """A new organization (administrators), verified or not; its slug, which stays fixed."""
    require_write(actor)
    _admin_only(actor)
    taken = _taken(session, data)
    if taken:
        raise Invalid(N_("Please correct the marked fields."), fields=taken)
    org = Organization(**{**data.model_dump(), "kind": str(data.kind)}, verified=verified)
    session.add(org)
    try:
        with session.begin_nested():  # a parallel create of the same slug or code
            session.flush()
    except IntegrityError:
        raise Invalid(N_("Please correct the marked fields."), fields=_taken(session, data)) from None
    summary = f"organization {org.name} ({org.code}) created"
    after = _organization_snapshot(org)
    audit.record(session, actor, "organization.create", "organization", org.slug, summary, after=after)
    return org.slug


def update_organization(session: Session, actor: Actor, slug: str, data: OrganizationCreate) -> None:
    """Change an organization's details (administrators); its slug (its address) stays."""
    require_write(actor)
    org = _admin_organization(session, actor, slug)
    data = data.model_copy(update={"slug": org.slug})
    taken = _taken(session, data, org.id)
    if taken:
        raise Invalid(N_("Please correct the marked fields."), fields=taken)
    before = _organization_snapshot(org)
    for name, value in data.model_dump(exclude={"slug"}).items():
        setattr(org, name, str(value))
    after = _organization_snapshot(org)
    if after != before:
        session.flush()
        summary = f"organization {org.name} ({org.code}) changed"
        audit.record(session, actor, "organization.update", "organization", org.slug, summary, before, after)


# What an administrator may do to an organization's standing: (allowed when, flag set, value).
STANDING: dict[str, tuple[Callable[[Organization], bool], str, bool]] = {
    "verify": (lambda org: not org.verified, "verified", True),
    "suspend": (lambda org: not org.suspended, "suspended", True),
    "reinstate": (lambda org: org.suspended, "suspended", False),
}


class StandingChange(BaseModel):
    action: Literal["verify", "suspend", "reinstate"]
    reason: str = Field(default="", max_length=1000)


def change_standing(session: Session, actor: Actor, slug: str, change: StandingChange) -> None:
    """Verify, suspend (with a reason) or reinstate an organization. While it is suspended its members
    act for it in nothing (``auth.actor_for_user`` leaves its memberships out); its listings stay."""
    require_write(actor)
    org = _admin_organization(session, actor, slug)
    allowed, flag, value = STANDING[change.action]
    if not allowed(org):
        raise InvalidTransition(
            N_("The organization is already in that state."),
            allowed=[name for name, (ok, _, _) in STANDING.items() if ok(org)],
        )
    reason = change.reason.strip()
    if change.action == "suspend" and len(reason) < 2:
        message = N_("Give the reason for the suspension: it is recorded in the audit log.")
        raise Invalid(N_("Please correct the marked fields."), fields={"reason": message})
    before = {"verified": org.verified, "suspended": org.suspended}
    setattr(org, flag, value)
    session.flush()
    after: dict[str, Any] = {"verified": org.verified, "suspended": org.suspended}
    if reason:
        after["reason"] = reason
    summary = f"organization {org.name} ({org.code}): {change.action}" + (f": {reason}" if reason else "")
    audit.record(
        session, actor, f"organization.{change.action}", "organization", org.slug, summary, before, after
    )


def organization_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(credit code, name) of every organization, for choosing a membership."""
    _admin_only(actor)
    return [(o.code, o.name) for o in session.exec(select(Organization).order_by(Organization.name))]


# --- administration: users ------------------------------------------------------------------------
class UserFilters(PageParams):
    q: str = Field(default="", max_length=254)  # part of the e-mail address
    role: Literal["admin", "reviewer", "owner", "member", "disabled"] | None = None
    per_page: int = Field(default=50, ge=1, le=100)


class UserMembership(BaseModel):
    code: str
    slug: str
    name: str
    role: str
    suspended: bool = False


class UserAdmin(BaseModel):
    """An account as administrators see it."""

    id: int
    email: str
    display_name: str = ""
    is_admin: bool
    is_reviewer: bool
    is_active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None = None
    memberships: list[UserMembership] = Field(default_factory=list)


def list_users(session: Session, actor: Actor, filters: UserFilters) -> Page[UserAdmin]:
    """Accounts by e-mail address, filtered by a part of it and by role."""
    _admin_only(actor)
    query = select(User)
    if filters.q.strip():
        query = query.where(col(User.email).icontains(filters.q.strip()))
    if filters.role == "admin":
        query = query.where(User.is_admin == True)  # noqa: E712
    elif filters.role == "reviewer":
        query = query.where(User.is_reviewer == True)  # noqa: E712
    elif filters.role == "disabled":
        query = query.where(User.is_active == False)  # noqa: E712
    elif filters.role in ("owner", "member"):
        holders = select(Membership.user_id).where(Membership.role == filters.role)
        query = query.where(col(User.id).in_(holders))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    users = session.exec(query.order_by(User.email).offset(filters.offset).limit(filters.per_page)).all()
    memberships = _memberships(session, [saved_id(u) for u in users])
    return Page[UserAdmin](
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        items=[_user_view(u, memberships.get(saved_id(u), [])) for u in users],
    )


def _memberships(session: Session, user_ids: list[int]) -> dict[int, list[UserMembership]]:
    rows = session.exec(
        select(Membership.user_id, Membership.role, Organization)
        .join(Organization, col(Organization.id) == col(Membership.organization_id))
        .where(col(Membership.user_id).in_(user_ids))
        .order_by(Organization.name)
    ).all()
    out: dict[int, list[UserMembership]] = {}
    for user_id, role, org in rows:
        out.setdefault(user_id, []).append(
            UserMembership(code=org.code, slug=org.slug, name=org.name, role=role, suspended=org.suspended)
        )
    return out


def _user_view(user: User, memberships: list[UserMembership]) -> UserAdmin:
    return UserAdmin.model_validate({**user.model_dump(), "memberships": memberships})


def _admin_user(session: Session, actor: Actor, user_id: int) -> User:
    _admin_only(actor)
    user = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None:
        raise NotFound("no such account")
    return user


def user_for_admin(session: Session, actor: Actor, user_id: int) -> UserAdmin:
    user = _admin_user(session, actor, user_id)
    return _user_view(user, _memberships(session, [user_id]).get(user_id, []))


def change_user_roles(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    admin: bool | None = None,
    reviewer: bool | None = None,
    active: bool | None = None,
) -> dict[str, object]:
    """Site roles and standing (``admin``, ``reviewer``, ``active``), through ``auth.set_roles``: audited,
    a disabled account's sessions end, and nobody demotes or disables themselves."""
    require_write(actor)
    user = _admin_user(session, actor, user_id)
    return auth.set_roles(session, actor, user.email, admin=admin, reviewer=reviewer, active=active)


class MembershipChange(BaseModel):
    organization: str = Field(min_length=1, max_length=18)  # the credit code
    role: Literal["member", "owner", "none"]  # none: remove the membership


def change_membership(session: Session, actor: Actor, user_id: int, change: MembershipChange) -> None:
    """Add, change or remove (role ``none``) the account's membership of one organization; audited."""
    require_write(actor)
    user = _admin_user(session, actor, user_id)
    if not session.exec(select(Organization).where(Organization.code == change.organization)).first():
        raise Invalid(
            N_("Please correct the marked fields."),
            fields={"organization": N_("Choose an organization from the list.")},
        )
    auth.set_roles(session, actor, user.email, organization_code=change.organization, role=change.role)
