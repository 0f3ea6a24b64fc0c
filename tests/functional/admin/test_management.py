"""The administrators' management pages over HTTP: organizations (and what suspension does), accounts and
roles, sectors and licences. Every change is audited; bad input answers 422 and writes nothing. Each test
has its own copy of the seeded catalog."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from catalog.accounts import credit_code
from catalog.accounts.models import Membership, Organization, User
from catalog.audit.models import AuditEvent
from catalog.licences.models import Licence
from catalog.products import services as products
from catalog.products.models import DataProduct
from catalog.sectors.models import Sector
from tests.factories import (
    ADMIN,
    OWNER,
    PLAIN,
    bearer,
    csrf,
    listed_product,
    log_in_with_form,
    make_user,
    sign_in,
    signed_in,
)

PAGES = (
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/organizations/sjj",
    "/admin/users",
    "/admin/users/1",
    "/admin/sectors",
    "/admin/sectors/industry",
    "/admin/licences",
    "/admin/licences/new",
    "/admin/licences/cc-by-4.0",
)


@pytest.fixture
def admin(web: TestClient, seeded_engine: Engine) -> TestClient:
    """A browser signed in as an administrator, with pages in English so that tests read the source
    messages."""
    return signed_in(web, ADMIN, lang="en")


def post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    """Submit a form as the browser would (with the CSRF token of the page it came from)."""
    return client.post(path, data={"csrftoken": csrf(client, "/account"), **data}, follow_redirects=False)


def events(seeded_engine: Engine, action: str) -> list[AuditEvent]:
    """The audit events of ``action``, oldest first."""
    with Session(seeded_engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        return list(session.exec(query))


def count(seeded_engine: Engine, model: type) -> int:
    with Session(seeded_engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def organization(seeded_engine: Engine, slug: str) -> Organization:
    with Session(seeded_engine) as session:
        return session.exec(select(Organization).where(Organization.slug == slug)).one()


def field_error(page: str, name: str) -> str:
    """The message shown beside the field ``name``."""
    found = re.search(rf'<p class="field-error" id="f-{name}-error">(.*?)</p>', page, re.S)
    assert found, f"no error beside {name}"
    return found.group(1)


NEW_CODE = credit_code.make("91", "320800", "MA1XK7Q2")
NEW_ORGANIZATION = {
    "name": "淮安星河数据科技有限公司",
    "name_en": "Huai'an Xinghe Data Technology",
    "short_name": "星河数据",
    "kind": "enterprise",
    "code": NEW_CODE,
    "region": "清江浦区",
    "address": "淮安市清江浦区健康东路1号",
    "contact_phone": "0517-80000000",
    "website": "https://xinghe.example.cn",
    "description": "数据服务企业",
    "verified": "1",
}


# --- who may ----------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for path in PAGES:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path


def test_signed_in_users_who_are_not_administrators_get_403_and_change_nothing(
    web: TestClient, seeded_engine: Engine
) -> None:
    with Session(seeded_engine) as session:
        code = session.exec(select(Organization.code).where(Organization.slug == "sjj")).one()
    make_user(seeded_engine, "owner@sjj.gov.cn", reviewer=True, organization_code=code, role="owner")
    sign_in(web, "owner@sjj.gov.cn", lang="en")
    for path in PAGES:
        assert web.get(path).status_code == 403, path
    before = count(seeded_engine, AuditEvent)
    assert post(web, "/admin/organizations/sjj/suspend", {"reason": "不应生效"}).status_code == 403
    assert post(web, "/admin/organizations/new", NEW_ORGANIZATION).status_code == 403
    assert post(web, "/admin/users/1/roles", {"admin": "1"}).status_code == 403
    assert not organization(seeded_engine, "sjj").suspended and count(seeded_engine, AuditEvent) == before


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    admin: TestClient, seeded_engine: Engine
) -> None:
    before = count(seeded_engine, Organization)
    answer = admin.post("/admin/organizations/new", data=NEW_ORGANIZATION, follow_redirects=False)
    assert answer.status_code == 403 and "CSRF" in answer.text
    forged = admin.post("/admin/organizations/sjj/suspend", data={"csrftoken": "forged", "reason": "测试"})
    assert forged.status_code == 403
    assert count(seeded_engine, Organization) == before and not organization(seeded_engine, "sjj").suspended


# --- organizations ----------------------------------------------------------------------------------
@pytest.mark.both_backends
def test_an_administrator_creates_an_organization_with_an_audit_event(
    admin: TestClient, seeded_engine: Engine
) -> None:
    form = admin.get("/admin/organizations/new")
    assert form.status_code == 200 and 'for="f-code"' in form.text and 'for="f-kind"' in form.text
    answer = post(admin, "/admin/organizations/new", NEW_ORGANIZATION)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/organizations/huai-an-xinghe-data-technology?done=created"
    created = organization(
        seeded_engine, "huai-an-xinghe-data-technology"
    )  # the slug made from the English name
    assert created.code == NEW_CODE and created.verified and not created.suspended
    assert (created.kind, created.region, created.website) == (
        "enterprise",
        "清江浦区",
        "https://xinghe.example.cn",
    )
    (event,) = events(seeded_engine, "organization.create")
    assert event.actor_label == ADMIN and event.target_id == created.slug and event.after["code"] == NEW_CODE  # type: ignore[index]
    page = admin.get(answer.headers["location"])
    assert (
        page.status_code == 200 and "淮安星河数据科技有限公司" in page.text and 'role="status"' in page.text
    )
    # an entered slug is kept; an unverified one waits for verification
    code = credit_code.make("91", "320800", "MA1XK7Q3")
    entered = {**NEW_ORGANIZATION, "code": code, "slug": "xinghe-two", "verified": ""}
    assert post(admin, "/admin/organizations/new", entered).status_code == 303
    assert not organization(seeded_engine, "xinghe-two").verified


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"code": NEW_CODE[:17] + ("0" if NEW_CODE[17] != "0" else "1")},
            "code",
            "unified social credit code",
        ),
        ({"code": "91320800MA1XK7Q"}, "code", "too short"),
        ({"slug": "sjj"}, "slug", "exists"),
        ({"slug": "Not A Slug"}, "slug", "expected format"),
        ({"code": "113208000299977722", "slug": "other"}, "code", "exists"),  # the Data Bureau's code
        ({"kind": "company"}, "kind", ""),
        ({"name": ""}, "name", "required"),
    ],
)
def test_a_bad_organization_answers_422_beside_the_field_and_writes_nothing(
    admin: TestClient, seeded_engine: Engine, change: dict[str, str], field: str, message: str
) -> None:
    before, audited = count(seeded_engine, Organization), count(seeded_engine, AuditEvent)
    answer = post(admin, "/admin/organizations/new", {**NEW_ORGANIZATION, **change})
    assert answer.status_code == 422
    assert message in field_error(answer.text, field)
    assert 'class="form-errors"' in answer.text and NEW_ORGANIZATION["address"] in answer.text  # values kept
    assert count(seeded_engine, Organization) == before and count(seeded_engine, AuditEvent) == audited


def test_an_administrator_edits_an_organization_but_not_its_address(
    admin: TestClient, seeded_engine: Engine
) -> None:
    page = admin.get("/admin/organizations/jtj")
    assert page.status_code == 200 and "淮安市交通运输局" in page.text
    values = {
        "name": "淮安市交通运输局",
        "name_en": "Huai'an Transport Bureau",
        "kind": "department",
        "code": organization(seeded_engine, "jtj").code,
        "slug": "moved",
        "website": "https://jtj.huaian.gov.cn",
    }
    assert post(admin, "/admin/organizations/jtj", values).status_code == 303
    edited = organization(seeded_engine, "jtj")  # still at its address
    assert edited.name_en == "Huai'an Transport Bureau" and edited.website == "https://jtj.huaian.gov.cn"
    (event,) = events(seeded_engine, "organization.update")
    assert event.before["name_en"] == "Huai'an Municipal Transport Bureau"  # type: ignore[index]
    assert event.after["name_en"] == "Huai'an Transport Bureau"  # type: ignore[index]
    refused = post(admin, "/admin/organizations/jtj", {**values, "code": "123"})
    assert refused.status_code == 422 and organization(seeded_engine, "jtj").code == values["code"]


def test_organizations_are_listed_with_filters(admin: TestClient, seeded_engine: Engine) -> None:
    assert post(admin, "/admin/organizations/jtj/suspend", {"reason": "资质复核中"}).status_code == 303
    everyone = admin.get("/admin/organizations", params={"per_page": 100})
    assert everyone.status_code == 200 and 'class="table-scroll"' in everyone.text
    with Session(seeded_engine) as session:
        total = session.exec(select(func.count()).select_from(Organization)).one()
        departments = session.exec(select(Organization.slug).where(Organization.kind == "department")).all()
    assert f"{total} " in everyone.text
    suspended = admin.get("/admin/organizations", params={"state": "suspended"}).text
    assert "/admin/organizations/jtj" in suspended and "/admin/organizations/sjj" not in suspended
    assert '<option value="suspended" selected>' in suspended  # the form shows the filter chosen
    kind = admin.get("/admin/organizations", params={"kind": "department", "per_page": 100}).text
    assert '<option value="department" selected>' in kind
    assert (
        all(f'/admin/organizations/{slug}"' in kind for slug in departments)
        and "/admin/organizations/jtj" in kind
    )
    assert (
        admin.get("/admin/organizations", params={"kind": "operator"}).text.count("/admin/organizations/jtj")
        == 0
    )
    found = admin.get("/admin/organizations", params={"q": "交通运输"}).text
    assert "/admin/organizations/jtj" in found and "/admin/organizations/sjj" not in found
    by_code = admin.get(
        "/admin/organizations", params={"q": organization(seeded_engine, "sjj").code.lower()}
    ).text
    assert "/admin/organizations/sjj" in by_code
    assert admin.get("/admin/organizations", params={"state": "sleeping"}).status_code == 422


def test_verify_suspend_and_reinstate_are_audited_with_the_reason(
    admin: TestClient, seeded_engine: Engine
) -> None:
    code = credit_code.make("91", "320800", "MA1XK7Q4")
    assert (
        post(
            admin,
            "/admin/organizations/new",
            {**NEW_ORGANIZATION, "code": code, "slug": "xh", "verified": ""},
        ).status_code
        == 303
    )
    assert post(admin, "/admin/organizations/xh/verify", {}).status_code == 303
    assert organization(seeded_engine, "xh").verified
    again = post(admin, "/admin/organizations/xh/verify", {})
    assert again.status_code == 409 and "already" in again.text
    no_reason = post(admin, "/admin/organizations/xh/suspend", {"reason": " "})
    assert no_reason.status_code == 422 and "reason" in field_error(no_reason.text, "reason")
    assert not organization(seeded_engine, "xh").suspended and not events(
        seeded_engine, "organization.suspend"
    )
    assert (
        post(admin, "/admin/organizations/xh/suspend", {"reason": "营业执照已吊销，待核实"}).status_code
        == 303
    )
    assert organization(seeded_engine, "xh").suspended
    (suspension,) = events(seeded_engine, "organization.suspend")
    assert suspension.after == {"verified": True, "suspended": True, "reason": "营业执照已吊销，待核实"}
    assert suspension.before == {"verified": True, "suspended": False}
    assert "营业执照已吊销，待核实" in admin.get("/admin/organizations/xh").text  # shown while it lasts
    assert post(admin, "/admin/organizations/xh/reinstate", {}).status_code == 303
    assert (
        not organization(seeded_engine, "xh").suspended
        and len(events(seeded_engine, "organization.reinstate")) == 1
    )
    assert post(admin, "/admin/organizations/xh/reinstate", {}).status_code == 409
    assert post(admin, "/admin/organizations/xh/delete", {}).status_code == 404
    assert len(events(seeded_engine, "organization.verify")) == 1


# --- what suspension does ---------------------------------------------------------------------------
def test_owners_of_a_suspended_organization_cannot_list_for_it_and_its_listings_stay(
    web: TestClient, admin: TestClient, seeded_engine: Engine
) -> None:
    with Session(seeded_engine) as session:
        listed = listed_product(session)
        provider = session.get(Organization, listed.provider_id)
        assert provider is not None
        body = {
            **products.product_input(session, listed),
            "slug": "suspension-probe",
            "title": "暂停测试产品",
        }
        slug, provider_slug = listed.slug, provider.slug
    owner = bearer(seeded_engine, OWNER)
    browser = signed_in(web, OWNER, lang="en")
    assert web.post("/api/v1/products", json=body, headers=owner).status_code == 201
    assert browser.get("/products/suspension-probe").status_code == 200  # its draft, seen by its owner
    second = {**body, "slug": "suspension-probe-two"}
    submit = "/api/v1/products/suspension-probe/transition"

    reason = {"reason": "数据来源合规性调查"}
    assert post(admin, f"/admin/organizations/{provider_slug}/suspend", reason).status_code == 303
    assert web.post("/api/v1/products", json=second, headers=owner).status_code == 403
    assert web.post(submit, json={"to": "submitted"}, headers=owner).status_code == 404
    assert browser.get("/products/suspension-probe").status_code == 404  # the signed-in owner too, at once
    assert count_products(seeded_engine, "suspension-probe-two") == 0
    # its listings stay public, and so does the page they link to; the directory leaves it out
    assert web.get(f"/products/{slug}").status_code == 200
    assert web.get(f"/organizations/{provider_slug}").status_code == 200
    assert f'/organizations/{provider_slug}"' not in web.get("/organizations", params={"per_page": 100}).text

    assert post(admin, f"/admin/organizations/{provider_slug}/reinstate", {}).status_code == 303
    assert f'/organizations/{provider_slug}"' in web.get("/organizations", params={"per_page": 100}).text
    assert web.post("/api/v1/products", json=second, headers=owner).status_code == 201
    assert web.post(submit, json={"to": "submitted"}, headers=owner).status_code == 200


def count_products(seeded_engine: Engine, slug: str) -> int:
    with Session(seeded_engine) as session:
        return len(session.exec(select(DataProduct).where(DataProduct.slug == slug)).all())


def test_members_of_a_suspended_organization_cannot_request_access_for_it(
    web: TestClient, admin: TestClient, seeded_engine: Engine
) -> None:
    assert post(admin, "/admin/organizations/new", NEW_ORGANIZATION).status_code == 303
    make_user(seeded_engine, "buyer@xinghe.cn", organization_code=NEW_CODE, role="member")
    buyer = bearer(seeded_engine, "buyer@xinghe.cn")
    with Session(seeded_engine) as session:
        product = session.exec(select(DataProduct.slug).where(DataProduct.status == "listed")).first()
    request = {
        "product_id": product,
        "purpose": "冷链配送线路优化",
        "scenario": "城市配送车辆线路规划",
        "term_months": 12,
        "contact": "王晓 13800000000",
        "accept_license": True,
    }
    slug = "huai-an-xinghe-data-technology"
    assert (
        post(admin, f"/admin/organizations/{slug}/suspend", {"reason": "冒用他人信用代码"}).status_code == 303
    )
    assert web.post("/api/v1/requests", json=request, headers=buyer).status_code == 403
    assert post(admin, f"/admin/organizations/{slug}/reinstate", {}).status_code == 303
    assert web.post("/api/v1/requests", json=request, headers=buyer).status_code == 201


# --- users ------------------------------------------------------------------------------------------
def user_row(seeded_engine: Engine, email: str) -> User:
    with Session(seeded_engine) as session:
        return session.exec(select(User).where(User.email == email)).one()


def test_users_are_listed_by_e_mail_and_role(admin: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "reviewer@sjj.gov.cn", reviewer=True)
    everyone = admin.get("/admin/users").text
    assert "reviewer@sjj.gov.cn" in everyone and PLAIN in everyone and ADMIN in everyone
    reviewers = admin.get("/admin/users", params={"role": "reviewer"}).text
    assert "reviewer@sjj.gov.cn" in reviewers and PLAIN not in reviewers
    found = admin.get("/admin/users", params={"q": "PLAIN@"}).text
    assert PLAIN in found and "reviewer@sjj.gov.cn" not in found
    make_user(
        seeded_engine,
        "owner@jtj.gov.cn",
        organization_code=organization(seeded_engine, "jtj").code,
        role="owner",
    )
    owners = admin.get("/admin/users", params={"role": "owner"}).text
    assert "owner@jtj.gov.cn" in owners and PLAIN not in owners and "淮安市交通运输局" in owners
    assert admin.get("/admin/users", params={"role": "king"}).status_code == 422


def test_an_administrator_grants_and_removes_roles_with_audit_events(
    admin: TestClient, seeded_engine: Engine
) -> None:
    user_id = make_user(seeded_engine, "staff@sjj.gov.cn")
    page = admin.get(f"/admin/users/{user_id}")
    assert page.status_code == 200 and 'for="f-admin"' in page.text and 'for="f-reviewer"' in page.text
    assert post(admin, f"/admin/users/{user_id}/roles", {"admin": "1", "reviewer": "1"}).status_code == 303
    staff = user_row(seeded_engine, "staff@sjj.gov.cn")
    assert staff.is_admin and staff.is_reviewer
    assert post(admin, f"/admin/users/{user_id}/roles", {"reviewer": "1"}).status_code == 303
    assert not user_row(seeded_engine, "staff@sjj.gov.cn").is_admin
    first, second = events(seeded_engine, "user.roles")
    assert first.before["is_admin"] is False and first.after["is_admin"] is True  # type: ignore[index]
    assert second.before["is_admin"] is True and second.after == {  # type: ignore[index]
        "is_admin": False,
        "is_reviewer": True,
        "is_active": True,
        "organizations": {},
    }
    assert admin.get("/admin/users/999999").status_code == 404


@pytest.mark.both_backends
def test_memberships_are_added_changed_and_removed(admin: TestClient, seeded_engine: Engine) -> None:
    user_id = make_user(seeded_engine, "clerk@jtj.gov.cn")
    code = organization(seeded_engine, "jtj").code
    assert (
        post(
            admin, f"/admin/users/{user_id}/memberships", {"organization": code, "role": "member"}
        ).status_code
        == 303
    )
    assert (
        post(
            admin, f"/admin/users/{user_id}/memberships", {"organization": code, "role": "owner"}
        ).status_code
        == 303
    )
    with Session(seeded_engine) as session:
        assert session.exec(select(Membership.role).where(Membership.user_id == user_id)).all() == ["owner"]
    assert "淮安市交通运输局" in admin.get(f"/admin/users/{user_id}").text
    assert (
        post(admin, f"/admin/users/{user_id}/memberships", {"organization": code, "role": "none"}).status_code
        == 303
    )
    with Session(seeded_engine) as session:
        assert session.exec(select(Membership).where(Membership.user_id == user_id)).all() == []
    changes = [e.after["organizations"] for e in events(seeded_engine, "user.roles")]  # type: ignore[index]
    assert changes == [{code: "member"}, {code: "owner"}, {}]
    unknown = post(admin, f"/admin/users/{user_id}/memberships", {"organization": "NOPE", "role": "member"})
    assert unknown.status_code == 422 and field_error(unknown.text, "organization")
    bad_role = post(admin, f"/admin/users/{user_id}/memberships", {"organization": code, "role": "king"})
    assert bad_role.status_code == 422 and field_error(bad_role.text, "role")
    assert len(events(seeded_engine, "user.roles")) == 3


@pytest.mark.both_backends
def test_disabling_an_account_ends_its_sessions_and_enabling_lets_it_back(
    web: TestClient, admin: TestClient, seeded_engine: Engine
) -> None:
    user_id = make_user(seeded_engine, "leaver@example.cn")
    browser = signed_in(web, "leaver@example.cn", lang="en")
    assert browser.get("/account").status_code == 200
    assert post(admin, f"/admin/users/{user_id}/standing", {"active": "0"}).status_code == 303
    assert not user_row(seeded_engine, "leaver@example.cn").is_active
    assert browser.get("/account", follow_redirects=False).status_code == 303  # signed out at once
    assert "Disabled" in admin.get(f"/admin/users/{user_id}", params={"lang": "en"}).text
    assert post(admin, f"/admin/users/{user_id}/standing", {"active": "maybe"}).status_code == 422
    assert post(admin, f"/admin/users/{user_id}/standing", {"active": "1"}).status_code == 303
    assert log_in_with_form(TestClient(web.app), "leaver@example.cn").status_code == 303
    standing = [(e.before["is_active"], e.after["is_active"]) for e in events(seeded_engine, "user.roles")]  # type: ignore[index]
    assert standing == [(True, False), (False, True)]


def test_an_administrator_cannot_demote_or_disable_themselves(
    admin: TestClient, seeded_engine: Engine
) -> None:
    me = user_row(seeded_engine, ADMIN).id
    demoted = post(admin, f"/admin/users/{me}/roles", {"reviewer": "1"})
    assert demoted.status_code == 403 and "your own administrator role" in demoted.text
    disabled = post(admin, f"/admin/users/{me}/standing", {"active": "0"})
    assert disabled.status_code == 403 and "disable your own account" in disabled.text
    mine = user_row(seeded_engine, ADMIN)
    assert (
        mine.is_admin and mine.is_active and not mine.is_reviewer and not events(seeded_engine, "user.roles")
    )
    assert admin.get("/admin/users").status_code == 200  # still an administrator, still signed in


# --- sectors ----------------------------------------------------------------------------------------
SECTOR = {
    "slug": "low-altitude",
    "name": "低空经济",
    "name_en": "Low-altitude economy",
    "description": "无人机物流与低空飞行服务数据",
    "description_en": "Drone logistics and low-altitude flight data",
    "task": "12",
}


def test_an_administrator_adds_and_edits_a_sector_whose_slug_stays(
    admin: TestClient, seeded_engine: Engine
) -> None:
    listing = admin.get("/admin/sectors")
    assert listing.status_code == 200 and 'id="sector-industry"' in listing.text
    with Session(seeded_engine) as session:
        last = session.exec(select(func.max(Sector.position))).one()
    assert post(admin, "/admin/sectors", SECTOR).status_code == 303
    with Session(seeded_engine) as session:
        sector = session.exec(select(Sector).where(Sector.slug == "low-altitude")).one()
    assert (sector.name, sector.task, sector.position) == ("低空经济", 12, last + 1)
    assert events(seeded_engine, "sector.create")[0].target_id == "low-altitude"
    edit = admin.get("/admin/sectors/low-altitude")
    assert edit.status_code == 200 and 'value="12"' in edit.text
    changed = {**SECTOR, "slug": "renamed", "name_en": "Low-altitude flight", "task": "", "position": "0"}
    assert post(admin, "/admin/sectors/low-altitude", changed).status_code == 303
    with Session(seeded_engine) as session:
        sector = session.exec(select(Sector).where(Sector.slug == "low-altitude")).one()
    assert (sector.name_en, sector.task, sector.position) == ("Low-altitude flight", None, 0)
    (event,) = events(seeded_engine, "sector.update")
    assert event.before["task"] == 12 and event.after["task"] is None  # type: ignore[index]
    assert admin.get("/admin/sectors/renamed").status_code == 404


def test_sectors_show_their_listed_counts(admin: TestClient, seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        from catalog.sectors.services import list_sectors

        industry = next(s for s in list_sectors(session) if s.id == "industry")
    row = re.search(r'<tr id="sector-industry">(.*?)</tr>', admin.get("/admin/sectors").text, re.S)
    assert row and f"<td>{industry.products_listed}</td><td>{industry.datasets_listed}</td>" in row.group(1)
    assert industry.products_listed > 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "industry"}, "slug"),
        ({"slug": "Low Altitude"}, "slug"),
        ({"name_en": ""}, "name_en"),
        ({"task": "x"}, "task"),
    ],
)
def test_a_bad_sector_answers_422_and_writes_nothing(
    admin: TestClient, seeded_engine: Engine, change: dict[str, str], field: str
) -> None:
    before = count(seeded_engine, Sector)
    answer = post(admin, "/admin/sectors", {**SECTOR, **change})
    assert answer.status_code == 422 and field_error(answer.text, field)
    assert count(seeded_engine, Sector) == before and not events(seeded_engine, "sector.create")


# --- licences ---------------------------------------------------------------------------------------
POLICY = {
    "@context": "http://www.w3.org/ns/odrl.jsonld",
    "@type": "Offer",
    "uid": "https://data.huaian.gov.cn/licences/hadp-research-1.0",
    "permission": [
        {
            "action": "use",
            "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "research"}],
        }
    ],
    "prohibition": [{"action": "distribute"}],
    "obligation": [{"action": "attribute"}],
}
LICENCE = {
    "code": "hadp-research-1.0",
    "name": "淮安数据港科研使用许可",
    "name_en": "Huai'an Data Port research licence",
    "kind": "conditional",
    "summary": "仅限备案课题组用于科学研究，不得转让。",
    "summary_en": "For registered research teams only; no transfer.",
    "terms": "1. 被许可人仅可将数据用于备案的科学研究课题。\n2. 不得向第三方提供。",
    "odrl": json.dumps(POLICY, ensure_ascii=False),
}


def licence(seeded_engine: Engine, code: str) -> Licence:
    with Session(seeded_engine) as session:
        return session.exec(select(Licence).where(Licence.code == code)).one()


def test_an_administrator_adds_a_licence_with_its_odrl_policy(
    admin: TestClient, seeded_engine: Engine
) -> None:
    form = admin.get("/admin/licences/new")
    assert form.status_code == 200 and 'for="f-odrl"' in form.text
    answer = post(admin, "/admin/licences/new", LICENCE)
    assert (
        answer.status_code == 303
        and answer.headers["location"] == "/admin/licences/hadp-research-1.0?done=created"
    )
    created = licence(seeded_engine, "hadp-research-1.0")
    assert created.odrl == POLICY and created.version == 1 and created.kind == "conditional"
    (event,) = events(seeded_engine, "licence.create")
    assert event.after["odrl"] == POLICY and event.actor_label == ADMIN  # type: ignore[index]
    assert "hadp-research-1.0" in admin.get("/admin/licences").text
    assert web_json(admin, "/api/v1/licenses/hadp-research-1.0")["odrl"] == POLICY


def web_json(client: TestClient, path: str) -> dict[str, Any]:
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("odrl", "message", "detail"),
    [
        ('{"@type": "Set", "permission": [{"action": "use"}', "not valid JSON", "line 1"),
        ('["use"]', "JSON object", ""),
        ('{"permission": [{"action": "use"}]}', "@type", ""),
        ('{"@type": "Licence", "permission": [{"action": "use"}]}', "@type", "Licence"),
        ('{"@type": "Set", "permission": {"action": "use"}}', "list", "permission"),
        ('{"@type": "Set", "permission": [{"target": "x"}]}', "action", "permission&#34; #1"),
        ('{"@type": "Set", "permissions": [{"action": "use"}]}', "as ODRL does", "permissions"),
        ('{"@type": "Set"}', "at least one", ""),
    ],
)
def test_a_bad_odrl_policy_answers_422_naming_the_problem_and_writes_nothing(
    admin: TestClient, seeded_engine: Engine, odrl: str, message: str, detail: str
) -> None:
    before = count(seeded_engine, Licence)
    answer = post(admin, "/admin/licences/new", {**LICENCE, "odrl": odrl})
    assert answer.status_code == 422
    shown = field_error(answer.text, "odrl")
    assert message in shown and detail in shown
    assert count(seeded_engine, Licence) == before and not events(seeded_engine, "licence.create")


@pytest.mark.both_backends
def test_a_licence_code_that_exists_answers_422(admin: TestClient, seeded_engine: Engine) -> None:
    before = count(seeded_engine, Licence)
    taken = post(admin, "/admin/licences/new", {**LICENCE, "code": "cc-by-4.0"})
    assert taken.status_code == 422 and "exists" in field_error(taken.text, "code")
    short = post(admin, "/admin/licences/new", {**LICENCE, "code": "Bad Code", "terms": "short"})
    assert short.status_code == 422 and "too short" in field_error(short.text, "terms")
    assert "expected format" in field_error(short.text, "code")
    assert count(seeded_engine, Licence) == before and not events(seeded_engine, "licence.create")


@pytest.mark.both_backends
def test_editing_the_terms_makes_a_new_version_and_requests_keep_theirs(
    web: TestClient, admin: TestClient, seeded_engine: Engine
) -> None:
    with Session(seeded_engine) as session:
        product = session.exec(select(DataProduct).where(DataProduct.status == "listed")).first()
        assert product is not None
        the_licence = session.get(Licence, product.licence_id)
        assert the_licence is not None
        code, old_terms, product_slug = the_licence.code, the_licence.terms, product.slug
    assert post(admin, "/admin/organizations/new", NEW_ORGANIZATION).status_code == 303
    make_user(seeded_engine, "buyer@xinghe.cn", organization_code=NEW_CODE, role="member")
    buyer = bearer(seeded_engine, "buyer@xinghe.cn")
    asked = web.post(
        "/api/v1/requests",
        json={
            "product_id": product_slug,
            "purpose": "冷链配送线路优化",
            "scenario": "城市配送车辆线路规划",
            "term_months": 12,
            "contact": "王晓 13800000000",
            "accept_license": True,
        },
        headers=buyer,
    )
    assert asked.status_code == 201 and asked.json()["licence_version"] == 1

    # the seed's policy (plural list names, no type) comes back in ODRL's shape; saved as is: no new version
    form = admin.get(f"/admin/licences/{code}")
    values = form_values(form.text)
    assert json.loads(values["odrl"])["@type"] == "Set"
    assert post(admin, f"/admin/licences/{code}", {**values, "name_en": "Renamed"}).status_code == 303
    assert licence(seeded_engine, code).version == 1 and licence(seeded_engine, code).name_en == "Renamed"

    new_terms = old_terms + "\n补充条款：交付后30日内提交使用情况报告。"
    assert post(admin, f"/admin/licences/{code}", {**values, "terms": new_terms}).status_code == 303
    edited = licence(seeded_engine, code)
    assert edited.version == 2 and edited.terms.endswith("使用情况报告。")
    policy = json.loads(values["odrl"])
    policy["obligation"] = [*policy.get("obligation", []), {"action": "inform"}]
    assert (
        post(
            admin, f"/admin/licences/{code}", {**values, "terms": new_terms, "odrl": json.dumps(policy)}
        ).status_code
        == 303
    )
    assert licence(seeded_engine, code).version == 3
    first, second, third = events(seeded_engine, "licence.update")
    assert first.after["version"] == 1 and first.before["odrl"] != first.after["odrl"]  # type: ignore[index]
    assert second.before["terms"] == old_terms.strip() and second.after["version"] == 2  # type: ignore[index]
    assert third.before["odrl"] == json.loads(values["odrl"]) and third.after["version"] == 3  # type: ignore[index]
    # the request still records the version its requester accepted
    seen = web.get(f"/api/v1/requests/{asked.json()['id']}", headers=buyer)
    assert seen.status_code == 200 and seen.json()["licence_version"] == 1
    bad = post(admin, f"/admin/licences/{code}", {**values, "odrl": "{"})
    assert bad.status_code == 422 and licence(seeded_engine, code).version == 3


def form_values(page: str) -> dict[str, str]:
    """The values of a form's text inputs, selects and text areas, as a browser would submit them."""
    import html

    values = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input id="f-\w+" name="(\w+)" type="[a-z]+" value="([^"]*)"', page)
    }
    values.update(
        (name, html.unescape(text))
        for name, text in re.findall(r'<textarea id="f-\w+" name="(\w+)"[^>]*>(.*?)</textarea>', page, re.S)
    )
    for name, options in re.findall(r'<select id="f-\w+" name="(\w+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[name] = chosen.group(1) if chosen else ""
    return values
