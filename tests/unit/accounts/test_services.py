"""The accounts services and the account functions of ``auth`` called directly on a copy of the seeded
catalog: organizations created, changed, verified, suspended and reinstated; accounts, memberships,
roles and tokens; the refusals for everyone but administrators, and what must stay unique. The
administration pages are tested in tests/functional/admin, sign-in in tests/functional/accounts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from catalog.accounts import auth, credit_code
from catalog.accounts import services as accounts
from catalog.accounts.models import Membership, Organization, OrganizationCreate, OutboxMail, User
from catalog.audit.models import AuditEvent
from catalog.errors import Forbidden, Invalid, InvalidTransition, NotFound, Unauthorized
from catalog.models_base import utcnow
from catalog.pagination import PageParams
from catalog.permissions import ANONYMOUS, SYSTEM
from catalog.settings import Settings
from tests.conftest import refused
from tests.factories import ADMIN, BUYER, MEMBER, OWNER, PASSWORD, PLAIN, PROVIDER, REVIEWER, actor

CODE = credit_code.make("91", "320800", "MA1XK7Q2")
NEW = {"slug": "xinghe", "code": CODE, "name": "淮安星河数据科技有限公司", "kind": "enterprise"}


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


def test_only_administrators_manage_organizations_and_accounts(seeded_session: Session) -> None:
    data = OrganizationCreate.model_validate(NEW)
    plain_id = user_id(seeded_session, PLAIN)
    change = accounts.MembershipChange(organization=org(seeded_session, PROVIDER).code, role="owner")
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
    before = (
        count(seeded_session, Organization),
        count(seeded_session, Membership),
        count(seeded_session, AuditEvent),
    )
    for email in (OWNER, MEMBER, REVIEWER, PLAIN):
        for call, args in calls:
            refused(Forbidden, call, seeded_session, actor(seeded_session, email), *args)
        refused(
            Forbidden,
            auth.create_user,
            seeded_session,
            actor(seeded_session, email),
            "new@example.cn",
            PASSWORD,
        )
    for call, args in calls:
        refused(Unauthorized, call, seeded_session, ANONYMOUS, *args)
    read_only = replace(actor(seeded_session, ADMIN), can_write=False)  # an administrator's read token
    for call, args in calls:
        if call in (accounts.create_organization, accounts.update_organization, accounts.change_standing):
            refused(Forbidden, call, seeded_session, read_only, *args)
    refused(Forbidden, accounts.change_user_roles, seeded_session, read_only, plain_id, reviewer=True)
    assert (
        count(seeded_session, Organization),
        count(seeded_session, Membership),
        count(seeded_session, AuditEvent),
    ) == before
    assert (
        accounts.user_for_admin(seeded_session, actor(seeded_session, ADMIN), plain_id).email == PLAIN
    )  # but administrators do


def test_organizations_keep_their_address_and_a_unique_slug_and_code(seeded_session: Session) -> None:
    admin = actor(seeded_session, ADMIN)
    sjj = org(seeded_session, "sjj")

    def create(**changes: Any) -> str:
        data = OrganizationCreate.model_validate({**NEW, **changes})
        return accounts.create_organization(seeded_session, admin, data, verified=False)

    for changes, fields in (
        ({"slug": "new"}, {"slug"}),  # the create form's own address
        ({"slug": "sjj"}, {"slug"}),
        ({"code": sjj.code}, {"code"}),
        ({"slug": "sjj", "code": sjj.code}, {"slug", "code"}),
    ):
        assert set(refused(Invalid, create, **changes).fields) == fields, changes  # type: ignore[attr-defined]
    assert create() == "xinghe"
    made = org(seeded_session, "xinghe")
    assert (made.verified, made.suspended, made.code) == (False, False, CODE)
    (event,) = audited(seeded_session, "organization.create")
    assert event.target_id == "xinghe" and event.actor_label == ADMIN and event.after["code"] == CODE  # type: ignore[index]

    moved = OrganizationCreate.model_validate({**NEW, "slug": "elsewhere", "name": "淮安星河数据有限公司"})
    accounts.update_organization(seeded_session, admin, "xinghe", moved)
    assert org(seeded_session, "xinghe").name == "淮安星河数据有限公司"  # changed, at the same address
    assert seeded_session.exec(select(Organization).where(Organization.slug == "elsewhere")).first() is None
    (update,) = audited(seeded_session, "organization.update")
    assert (update.before["name"], update.after["name"]) == (NEW["name"], "淮安星河数据有限公司")  # type: ignore[index]
    accounts.update_organization(seeded_session, admin, "xinghe", moved)  # nothing changes: nothing audited
    assert len(audited(seeded_session, "organization.update")) == 1
    taken = OrganizationCreate.model_validate({**NEW, "code": sjj.code})
    assert set(
        refused(Invalid, accounts.update_organization, seeded_session, admin, "xinghe", taken).fields
    ) == {"code"}  # type: ignore[attr-defined]
    refused(NotFound, accounts.update_organization, seeded_session, admin, "no-such-org", moved)

    assert (
        accounts.import_organization(seeded_session, SYSTEM, OrganizationCreate.model_validate(NEW)) is False
    )
    other = credit_code.make("91", "320800", "MA1XK7Q3")
    same_slug = OrganizationCreate.model_validate({**NEW, "code": other})
    assert accounts.import_organization(seeded_session, SYSTEM, same_slug) is False
    fresh = OrganizationCreate.model_validate({**NEW, "code": other, "slug": "xinghe-two"})
    assert (
        accounts.import_organization(seeded_session, SYSTEM, fresh) is True
        and org(seeded_session, "xinghe-two").verified
    )


def test_standing_changes_step_by_step_and_a_suspended_organization_acts_in_nothing(
    seeded_session: Session,
) -> None:
    admin = actor(seeded_session, ADMIN)

    def standing(action: str, reason: str = "") -> None:
        accounts.change_standing(
            seeded_session, admin, PROVIDER, accounts.StandingChange(action=action, reason=reason)
        )  # type: ignore[arg-type]

    provider = org(seeded_session, PROVIDER)  # verified by the seed
    assert refused(InvalidTransition, standing, "verify").allowed == ["suspend"]  # type: ignore[attr-defined]
    assert refused(InvalidTransition, standing, "reinstate").allowed == ["suspend"]  # type: ignore[attr-defined]
    assert set(refused(Invalid, standing, "suspend", " x ").fields) == {"reason"}  # type: ignore[attr-defined]
    assert not provider.suspended and audited(seeded_session, "organization.suspend") == []
    standing("suspend", "数据来源合规性调查")
    assert org(seeded_session, PROVIDER).suspended
    assert refused(InvalidTransition, standing, "suspend", "再次").allowed == ["reinstate"]  # type: ignore[attr-defined]
    view = accounts.organization_for_admin(seeded_session, admin, PROVIDER)
    assert view.suspension_reason == "数据来源合规性调查" and {p.role for p in view.people} == {
        "owner",
        "member",
    }
    assert (
        actor(seeded_session, OWNER).owner_of == frozenset()
        and actor(seeded_session, MEMBER).member_of == frozenset()
    )
    public = accounts.list_organizations(seeded_session, None, PageParams(per_page=100))
    assert PROVIDER not in {o.id for o in public.items}  # out of the directory …
    assert (
        accounts.get_organization(seeded_session, PROVIDER).products_listed > 0
    )  # … its page and listings stay
    suspended = accounts.OrganizationFilters(state="suspended")
    assert [
        o.slug for o in accounts.list_organizations_for_admin(seeded_session, admin, suspended).items
    ] == [PROVIDER]
    standing("reinstate")
    assert provider.id in actor(seeded_session, OWNER).owner_of
    assert accounts.organization_for_admin(seeded_session, admin, PROVIDER).suspension_reason == ""
    assert [e.after for e in audited(seeded_session, "organization.reinstate")] == [
        {"verified": True, "suspended": False}
    ]
    refused(NotFound, accounts.organization_for_admin, seeded_session, admin, "no-such-org")


def test_memberships_and_roles_change_through_the_services(seeded_session: Session) -> None:
    admin = actor(seeded_session, ADMIN)
    provider = org(seeded_session, PROVIDER)
    plain = user_id(seeded_session, PLAIN)

    def member(role: str, code: str = provider.code) -> None:
        accounts.change_membership(
            seeded_session, admin, plain, accounts.MembershipChange(organization=code, role=role)
        )  # type: ignore[arg-type]

    member("member")
    assert actor(seeded_session, PLAIN).member_of == {provider.id}
    member("owner")
    assert (
        actor(seeded_session, PLAIN).owner_of == {provider.id}
        and actor(seeded_session, PLAIN).member_of == frozenset()
    )
    assert PLAIN in {
        u.email for u in accounts.list_users(seeded_session, admin, accounts.UserFilters(role="owner")).items
    }
    member("none")
    assert actor(seeded_session, PLAIN).organizations == frozenset()
    assert [e.after["organizations"] for e in audited(seeded_session, "user.roles")] == [  # type: ignore[index]
        {provider.code: "member"},
        {provider.code: "owner"},
        {},
    ]
    assert set(refused(Invalid, member, "member", "913208000000000000").fields) == {"organization"}  # type: ignore[attr-defined]
    bad_role = refused(
        Invalid, auth.set_roles, seeded_session, admin, PLAIN, organization_code=provider.code, role="king"
    )
    assert set(bad_role.fields) == {"role"}  # type: ignore[attr-defined]
    refused(
        NotFound,
        auth.set_roles,
        seeded_session,
        admin,
        PLAIN,
        organization_code="913208000000000000",
        role="member",
    )
    refused(NotFound, auth.set_roles, seeded_session, admin, "nobody@example.cn", reviewer=True)
    for missing in (0, 2**40):
        refused(NotFound, accounts.change_user_roles, seeded_session, admin, missing, reviewer=True)
    assert len(audited(seeded_session, "user.roles")) == 3

    me = user_id(seeded_session, ADMIN)
    refused(
        Forbidden, accounts.change_user_roles, seeded_session, admin, me, admin=False
    )  # not their own role
    refused(Forbidden, accounts.change_user_roles, seeded_session, admin, me, active=False)
    last = refused(
        Forbidden, auth.set_roles, seeded_session, SYSTEM, ADMIN, admin=False
    )  # the only administrator
    assert "at least one" in last.message
    seeded_session.rollback()
    accounts.change_user_roles(seeded_session, admin, plain, admin=True)
    accounts.change_user_roles(
        seeded_session, actor(seeded_session, PLAIN), me, admin=False
    )  # another one: now it may go
    assert seeded_session.get(User, me).is_admin is False  # type: ignore[union-attr]
    raw = auth.start_session(seeded_session, plain)
    assert auth.session_actor(seeded_session, 12, plain, raw) is not None
    accounts.change_user_roles(
        seeded_session, actor(seeded_session, PLAIN), plain, reviewer=True
    )  # own reviewer role: allowed
    refused(
        Forbidden,
        accounts.change_user_roles,
        seeded_session,
        actor(seeded_session, PLAIN),
        plain,
        active=False,
    )
    disabled = accounts.UserFilters(role="disabled")
    assert accounts.list_users(seeded_session, actor(seeded_session, PLAIN), disabled).items == []


def test_accounts_are_unique_by_address_and_need_a_strong_password(
    seeded_session: Session, seeded_settings: Settings
) -> None:
    admin = actor(seeded_session, ADMIN)
    for email, password, field in (
        (PLAIN.upper(), PASSWORD, "email"),  # addresses are compared lower-cased
        ("new@example.cn", "1234567890", "password"),
        ("new@example.cn", "short", "password"),
        ("new@example.cn", "new@example.cn", "password"),
    ):
        error = refused(Invalid, auth.create_user, seeded_session, admin, email, password)
        assert set(error.fields) == {field}, email  # type: ignore[attr-defined]
    made = auth.create_user(seeded_session, admin, " New@Example.cn ", PASSWORD, reviewer=True)
    assert made.email == "new@example.cn" and made.is_reviewer and not made.is_admin
    (event,) = [e for e in audited(seeded_session, "user.create") if e.target_id == str(made.id)]
    assert event.after == {"email": "new@example.cn", **auth._roles(seeded_session, made)}

    def register(**changes: Any) -> None:
        body = {
            "organization_name": "淮安星河数据科技有限公司",
            "credit_code": CODE,
            "contact_name": "王晓",
            "contact_phone": "0517-80000000",
            "email": "founder@xinghe.cn",
            "password": PASSWORD,
            **changes,
        }
        auth.register(seeded_session, seeded_settings, auth.Registration.model_validate(body))

    def mailed(to: str) -> list[str]:
        return list(seeded_session.exec(select(OutboxMail.body).where(OutboxMail.to == to)))

    def users(email: str) -> list[User]:
        return list(seeded_session.exec(select(User).where(User.email == email)))

    assert set(refused(Invalid, register, password="0000000000").fields) == {"password"}  # type: ignore[attr-defined]
    register(email=BUYER)  # an address with an account: it hears of it, nothing is made
    assert len(users(BUYER)) == 1 and "已有账号" in mailed(BUYER)[-1]
    register(credit_code=org(seeded_session, PROVIDER).code)  # an organization with an account
    assert users("founder@xinghe.cn") == [] and "账号负责人" in mailed("founder@xinghe.cn")[-1]

    register()
    (pending,) = users("founder@xinghe.cn")
    assert not pending.is_active and pending.pending_until is not None
    link = re.search(r"/register/(\S+)", mailed("founder@xinghe.cn")[-1])
    assert link is not None
    founder, raw = auth.confirm_registration(seeded_session, seeded_settings, link.group(1))
    signed_in = auth.session_actor(seeded_session, 12, founder, raw)
    registered = org(seeded_session, f"org-{CODE.lower()}")
    assert signed_in is not None and signed_in.owner_of == {registered.id}
    assert not registered.verified and registered.kind == "enterprise"
    (joined,) = audited(seeded_session, "account.register")
    assert joined.after == {"email": "founder@xinghe.cn", "organization": CODE}
    refused(Invalid, auth.confirm_registration, seeded_session, seeded_settings, link.group(1))  # used

    late_code = credit_code.make("91", "320800", "MA1XYH77")
    register(email="late@xinghe.cn", credit_code=late_code)
    (late,) = users("late@xinghe.cn")
    late.pending_until = utcnow() - dt.timedelta(minutes=1)  # its link lapsed unopened
    register(email="late@xinghe.cn", credit_code=late_code)  # the address and the code are free again
    (again,) = users("late@xinghe.cn")
    assert again.pending_until is not None and again.pending_until > utcnow()  # a new registration
    assert len(list(seeded_session.exec(select(Organization).where(Organization.code == late_code)))) == 1


def test_tokens_are_made_by_people_and_revoked_by_their_owner_or_an_administrator(
    seeded_session: Session,
) -> None:
    buyer = actor(seeded_session, BUYER)
    write = auth.TokenCreate(name="etl", scope="write")
    refused(
        Unauthorized, auth.create_token, seeded_session, SYSTEM, write
    )  # the service has no account of its own
    refused(
        Forbidden, auth.create_token, seeded_session, replace(buyer, via_token=True), write
    )  # a token mints none
    secret, token = auth.create_token(seeded_session, buyer, write)
    _, reader = auth.create_token(seeded_session, buyer, auth.TokenCreate(name="bi"))
    assert secret.startswith(token.prefix) and token.active and reader.scope == "read"
    through = auth.token_actor(seeded_session, secret)
    assert (through.user_id, through.can_write, through.via_token) == (buyer.user_id, True, True)
    assert [t.id for t in auth.list_tokens(seeded_session, buyer)] == sorted(
        [token.id, reader.id], reverse=True
    )
    page = auth.account(seeded_session, buyer)
    assert [m.organization_slug for m in page.memberships] == ["sdgyl"] and len(page.tokens) == 2

    refused(
        NotFound, auth.revoke_token, seeded_session, actor(seeded_session, OWNER), token.id
    )  # someone else's: unknown to them
    refused(NotFound, auth.revoke_token, seeded_session, buyer, 2**40)
    refused(Forbidden, auth.revoke_token, seeded_session, replace(buyer, can_write=False), token.id)
    auth.revoke_token(seeded_session, actor(seeded_session, ADMIN), token.id)
    auth.revoke_token(seeded_session, buyer, token.id)  # already revoked: nothing more
    (revoked,) = audited(seeded_session, "token.revoke")
    assert revoked.actor_label == ADMIN and revoked.target_id == str(token.id)
    refused(Unauthorized, auth.token_actor, seeded_session, secret)
    refused(Unauthorized, auth.token_actor, seeded_session, "hdp_not-a-token")
    assert [t.active for t in auth.list_tokens(seeded_session, buyer)] == [True, False]
    refused(Unauthorized, auth.account, seeded_session, ANONYMOUS)
