"""The accounts services and the account functions of ``auth`` called directly on a copy of the seeded
catalog: organizations created, changed, verified, suspended and reinstated; accounts, memberships,
roles and tokens; the refusals for everyone but administrators, and what must stay unique. The
administration pages are tested in tests/functional/admin, sign-in in tests/functional/accounts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from catalog.accounts import auth, credit_code
from catalog.accounts import services as accounts
from catalog.accounts.models import Membership, Organization, OrganizationCreate, User
from catalog.audit.models import AuditEvent
from catalog.errors import CatalogError, Forbidden, Invalid, InvalidTransition, NotFound, Unauthorized
from catalog.pagination import PageParams
from catalog.permissions import ANONYMOUS, SYSTEM
from tests.factories import ADMIN, BUYER, MEMBER, OWNER, PASSWORD, PLAIN, PROVIDER, REVIEWER, actor

CODE = credit_code.make("91", "320800", "MA1XK7Q2")
NEW = {"slug": "xinghe", "code": CODE, "name": "淮安星河数据科技有限公司", "kind": "enterprise"}


@pytest.fixture
def db(seeded_engine: Engine) -> Iterator[Session]:
    """A session on a private copy of the seeded catalog."""
    with Session(seeded_engine, expire_on_commit=False) as session:
        yield session


def refused(error: type[CatalogError], call: Any, *args: Any, **kwargs: Any) -> CatalogError:
    """The error ``call`` raises, which must be exactly of class ``error`` (not a subclass)."""
    with pytest.raises(CatalogError) as raised:
        call(*args, **kwargs)
    assert type(raised.value) is error, raised.value
    return raised.value


def org(session: Session, slug: str) -> Organization:
    return session.exec(select(Organization).where(Organization.slug == slug)).one()


def user_id(session: Session, email: str) -> int:
    found = session.exec(select(User.id).where(User.email == email)).one()
    assert found is not None
    return found


def audited(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_only_administrators_manage_organizations_and_accounts(db: Session) -> None:
    data = OrganizationCreate.model_validate(NEW)
    plain_id = user_id(db, PLAIN)
    change = accounts.MembershipChange(organization=org(db, PROVIDER).code, role="owner")
    calls: list[tuple[Any, tuple[Any, ...]]] = [
        (accounts.create_organization, (data, True)),
        (accounts.update_organization, ("sjj", data)),
        (accounts.change_standing, ("sjj", accounts.StandingChange(action="suspend", reason="核查"))),
        (accounts.organization_for_admin, ("sjj",)),
        (accounts.list_organizations_for_admin, (accounts.OrganizationFilters(),)),
        (accounts.organization_choices, ()),
        (accounts.list_users, (accounts.UserFilters(),)),
        (accounts.user_for_admin, (plain_id,)),
        (accounts.change_user_roles, (plain_id,)),
        (accounts.change_membership, (plain_id, change)),
        (auth.set_roles, (PLAIN,)),
    ]
    before = (count(db, Organization), count(db, Membership), count(db, AuditEvent))
    for email in (OWNER, MEMBER, REVIEWER, PLAIN):
        for call, args in calls:
            refused(Forbidden, call, db, actor(db, email), *args)
        refused(Forbidden, auth.create_user, db, actor(db, email), "new@example.cn", PASSWORD)
    for call, args in calls:
        refused(Unauthorized, call, db, ANONYMOUS, *args)
    read_only = replace(actor(db, ADMIN), can_write=False)  # an administrator's read token
    for call, args in calls:
        if call in (accounts.create_organization, accounts.update_organization, accounts.change_standing):
            refused(Forbidden, call, db, read_only, *args)
    refused(Forbidden, accounts.change_user_roles, db, read_only, plain_id, reviewer=True)
    assert (count(db, Organization), count(db, Membership), count(db, AuditEvent)) == before
    assert accounts.user_for_admin(db, actor(db, ADMIN), plain_id).email == PLAIN  # but administrators do


def test_organizations_keep_their_address_and_a_unique_slug_and_code(db: Session) -> None:
    admin = actor(db, ADMIN)
    sjj = org(db, "sjj")

    def create(**changes: Any) -> str:
        data = OrganizationCreate.model_validate({**NEW, **changes})
        return accounts.create_organization(db, admin, data, verified=False)

    for changes, fields in (
        ({"slug": "new"}, {"slug"}),  # the create form's own address
        ({"slug": "sjj"}, {"slug"}),
        ({"code": sjj.code}, {"code"}),
        ({"slug": "sjj", "code": sjj.code}, {"slug", "code"}),
    ):
        assert set(refused(Invalid, create, **changes).fields) == fields, changes  # type: ignore[attr-defined]
    assert create() == "xinghe"
    made = org(db, "xinghe")
    assert (made.verified, made.suspended, made.code) == (False, False, CODE)
    (event,) = audited(db, "organization.create")
    assert event.target_id == "xinghe" and event.actor_label == ADMIN and event.after["code"] == CODE  # type: ignore[index]

    moved = OrganizationCreate.model_validate({**NEW, "slug": "elsewhere", "name": "淮安星河数据有限公司"})
    accounts.update_organization(db, admin, "xinghe", moved)
    assert org(db, "xinghe").name == "淮安星河数据有限公司"  # changed, at the same address
    assert db.exec(select(Organization).where(Organization.slug == "elsewhere")).first() is None
    (update,) = audited(db, "organization.update")
    assert (update.before["name"], update.after["name"]) == (NEW["name"], "淮安星河数据有限公司")  # type: ignore[index]
    accounts.update_organization(db, admin, "xinghe", moved)  # nothing changes: nothing audited
    assert len(audited(db, "organization.update")) == 1
    taken = OrganizationCreate.model_validate({**NEW, "code": sjj.code})
    assert set(refused(Invalid, accounts.update_organization, db, admin, "xinghe", taken).fields) == {"code"}  # type: ignore[attr-defined]
    refused(NotFound, accounts.update_organization, db, admin, "no-such-org", moved)

    assert accounts.import_organization(db, SYSTEM, OrganizationCreate.model_validate(NEW)) is False
    other = credit_code.make("91", "320800", "MA1XK7Q3")
    same_slug = OrganizationCreate.model_validate({**NEW, "code": other})
    assert accounts.import_organization(db, SYSTEM, same_slug) is False
    fresh = OrganizationCreate.model_validate({**NEW, "code": other, "slug": "xinghe-two"})
    assert accounts.import_organization(db, SYSTEM, fresh) is True and org(db, "xinghe-two").verified


def test_standing_changes_step_by_step_and_a_suspended_organization_acts_in_nothing(db: Session) -> None:
    admin = actor(db, ADMIN)

    def standing(action: str, reason: str = "") -> None:
        accounts.change_standing(db, admin, PROVIDER, accounts.StandingChange(action=action, reason=reason))  # type: ignore[arg-type]

    provider = org(db, PROVIDER)  # verified by the seed
    assert refused(InvalidTransition, standing, "verify").allowed == ["suspend"]  # type: ignore[attr-defined]
    assert refused(InvalidTransition, standing, "reinstate").allowed == ["suspend"]  # type: ignore[attr-defined]
    assert set(refused(Invalid, standing, "suspend", " x ").fields) == {"reason"}  # type: ignore[attr-defined]
    assert not provider.suspended and audited(db, "organization.suspend") == []
    standing("suspend", "数据来源合规性调查")
    assert org(db, PROVIDER).suspended
    assert refused(InvalidTransition, standing, "suspend", "再次").allowed == ["reinstate"]  # type: ignore[attr-defined]
    view = accounts.organization_for_admin(db, admin, PROVIDER)
    assert view.suspension_reason == "数据来源合规性调查" and {p.role for p in view.people} == {
        "owner",
        "member",
    }
    assert actor(db, OWNER).owner_of == frozenset() and actor(db, MEMBER).member_of == frozenset()
    public = accounts.list_organizations(db, None, PageParams(per_page=100))
    assert PROVIDER not in {o.id for o in public.items}  # out of the directory …
    assert accounts.get_organization(db, PROVIDER).products_listed > 0  # … its page and listings stay
    suspended = accounts.OrganizationFilters(state="suspended")
    assert [o.slug for o in accounts.list_organizations_for_admin(db, admin, suspended).items] == [PROVIDER]
    standing("reinstate")
    assert provider.id in actor(db, OWNER).owner_of
    assert accounts.organization_for_admin(db, admin, PROVIDER).suspension_reason == ""
    assert [e.after for e in audited(db, "organization.reinstate")] == [
        {"verified": True, "suspended": False}
    ]
    refused(NotFound, accounts.organization_for_admin, db, admin, "no-such-org")


def test_memberships_and_roles_change_through_the_services(db: Session) -> None:
    admin = actor(db, ADMIN)
    provider = org(db, PROVIDER)
    plain = user_id(db, PLAIN)

    def member(role: str, code: str = provider.code) -> None:
        accounts.change_membership(db, admin, plain, accounts.MembershipChange(organization=code, role=role))  # type: ignore[arg-type]

    member("member")
    assert actor(db, PLAIN).member_of == {provider.id}
    member("owner")
    assert actor(db, PLAIN).owner_of == {provider.id} and actor(db, PLAIN).member_of == frozenset()
    assert PLAIN in {
        u.email for u in accounts.list_users(db, admin, accounts.UserFilters(role="owner")).items
    }
    member("none")
    assert actor(db, PLAIN).organizations == frozenset()
    assert [e.after["organizations"] for e in audited(db, "user.roles")] == [  # type: ignore[index]
        {provider.code: "member"},
        {provider.code: "owner"},
        {},
    ]
    assert set(refused(Invalid, member, "member", "913208000000000000").fields) == {"organization"}  # type: ignore[attr-defined]
    bad_role = refused(
        Invalid, auth.set_roles, db, admin, PLAIN, organization_code=provider.code, role="king"
    )
    assert set(bad_role.fields) == {"role"}  # type: ignore[attr-defined]
    refused(NotFound, auth.set_roles, db, admin, PLAIN, organization_code="913208000000000000", role="member")
    refused(NotFound, auth.set_roles, db, admin, "nobody@example.cn", reviewer=True)
    for missing in (0, 2**40):
        refused(NotFound, accounts.change_user_roles, db, admin, missing, reviewer=True)
    assert len(audited(db, "user.roles")) == 3

    me = user_id(db, ADMIN)
    refused(Forbidden, accounts.change_user_roles, db, admin, me, admin=False)  # not their own role
    refused(Forbidden, accounts.change_user_roles, db, admin, me, active=False)
    last = refused(Forbidden, auth.set_roles, db, SYSTEM, ADMIN, admin=False)  # the only administrator
    assert "at least one" in last.message
    db.rollback()
    accounts.change_user_roles(db, admin, plain, admin=True)
    accounts.change_user_roles(db, actor(db, PLAIN), me, admin=False)  # another one: now it may go
    assert db.get(User, me).is_admin is False  # type: ignore[union-attr]
    raw = auth.start_session(db, plain)
    assert auth.session_actor(db, 12, plain, raw) is not None
    accounts.change_user_roles(db, actor(db, PLAIN), plain, reviewer=True)  # own reviewer role: allowed
    refused(Forbidden, accounts.change_user_roles, db, actor(db, PLAIN), plain, active=False)
    disabled = accounts.UserFilters(role="disabled")
    assert accounts.list_users(db, actor(db, PLAIN), disabled).items == []


def test_accounts_are_unique_by_address_and_need_a_strong_password(db: Session) -> None:
    admin = actor(db, ADMIN)
    for email, password, field in (
        (PLAIN.upper(), PASSWORD, "email"),  # addresses are compared lower-cased
        ("new@example.cn", "1234567890", "password"),
        ("new@example.cn", "short", "password"),
        ("new@example.cn", "new@example.cn", "password"),
    ):
        error = refused(Invalid, auth.create_user, db, admin, email, password)
        assert set(error.fields) == {field}, email  # type: ignore[attr-defined]
    made = auth.create_user(db, admin, " New@Example.cn ", PASSWORD, reviewer=True)
    assert made.email == "new@example.cn" and made.is_reviewer and not made.is_admin
    (event,) = [e for e in audited(db, "user.create") if e.target_id == str(made.id)]
    assert event.after == {"email": "new@example.cn", **auth._roles(db, made)}

    def register(**changes: Any) -> tuple[int, str]:
        body = {
            "organization_name": "淮安星河数据科技有限公司",
            "credit_code": CODE,
            "contact_name": "王晓",
            "contact_phone": "0517-80000000",
            "email": "founder@xinghe.cn",
            "password": PASSWORD,
            **changes,
        }
        return auth.register(db, auth.Registration.model_validate(body))

    assert set(refused(Invalid, register, email=BUYER).fields) == {"email"}  # type: ignore[attr-defined]
    taken = refused(Invalid, register, credit_code=org(db, PROVIDER).code)
    assert set(taken.fields) == {"credit_code"}  # type: ignore[attr-defined]
    assert set(refused(Invalid, register, password="0000000000").fields) == {"password"}  # type: ignore[attr-defined]
    founder, raw = register()
    signed_in = auth.session_actor(db, 12, founder, raw)
    registered = org(db, f"org-{CODE.lower()}")
    assert signed_in is not None and signed_in.owner_of == {registered.id}
    assert not registered.verified and registered.kind == "enterprise"
    (joined,) = audited(db, "account.register")
    assert joined.after == {"email": "founder@xinghe.cn", "organization": CODE}


def test_tokens_are_made_by_people_and_revoked_by_their_owner_or_an_administrator(db: Session) -> None:
    buyer = actor(db, BUYER)
    write = auth.TokenCreate(name="etl", scope="write")
    refused(Unauthorized, auth.create_token, db, SYSTEM, write)  # the service has no account of its own
    refused(Forbidden, auth.create_token, db, replace(buyer, via_token=True), write)  # a token mints none
    secret, token = auth.create_token(db, buyer, write)
    _, reader = auth.create_token(db, buyer, auth.TokenCreate(name="bi"))
    assert secret.startswith(token.prefix) and token.active and reader.scope == "read"
    through = auth.token_actor(db, secret)
    assert (through.user_id, through.can_write, through.via_token) == (buyer.user_id, True, True)
    assert [t.id for t in auth.list_tokens(db, buyer)] == sorted([token.id, reader.id], reverse=True)
    page = auth.account(db, buyer)
    assert [m.organization_slug for m in page.memberships] == ["sdgyl"] and len(page.tokens) == 2

    refused(NotFound, auth.revoke_token, db, actor(db, OWNER), token.id)  # someone else's: unknown to them
    refused(NotFound, auth.revoke_token, db, buyer, 2**40)
    refused(Forbidden, auth.revoke_token, db, replace(buyer, can_write=False), token.id)
    auth.revoke_token(db, actor(db, ADMIN), token.id)
    auth.revoke_token(db, buyer, token.id)  # already revoked: nothing more
    (revoked,) = audited(db, "token.revoke")
    assert revoked.actor_label == ADMIN and revoked.target_id == str(token.id)
    refused(Unauthorized, auth.token_actor, db, secret)
    refused(Unauthorized, auth.token_actor, db, "hdp_not-a-token")
    assert [t.active for t in auth.list_tokens(db, buyer)] == [True, False]
    refused(Unauthorized, auth.account, db, ANONYMOUS)
