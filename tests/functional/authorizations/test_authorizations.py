"""Authorizations of public-data operation (27号) over HTTP: the public list, page and API with their
filters; a product outside its provider's authorization refused at submit and at approval
(``outside_authorization``), the administrators' grant, change, suspension and reinstatement
(audited); a product whose authorization lapsed, flagged and closed to requests; and the reminders
before an authorization ends. Each test has its own copy of the seeded catalog."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from catalog import db
from catalog.accounts.models import OutboxMail
from catalog.audit.models import AuditEvent
from catalog.authorizations import services as authorizations
from catalog.authorizations import states
from catalog.authorizations.models import Authorization, AuthorizationCreate
from catalog.authorizations.queries import today
from catalog.errors import Forbidden
from catalog.listings.models import Notification
from catalog.products import services as products
from catalog.products.models import DataProduct
from catalog.settings import Settings
from tests.conftest import make_settings, refused
from tests.factories import (
    ADMIN,
    APPROVAL,
    BUYER,
    OWNER,
    REQUEST,
    REVIEWER,
    actor,
    bearer,
    csrf,
    listed_product,
    move_product,
    signed_in,
)

PROVIDER_AUTHORIZATION = "HADP-SQ-2025-001"  # sjgyy's, in force until 2029
LAPSED_PILOT = "HADP-SQ-2025-013"  # rcfw's one-year pilot on HA-JYJ-002 and HA-SJJ-103, ended 2026-10-31
LAPSED_PRODUCT = "smart-education-platform-annual-analysis"  # rcfw's, built on HA-JYJ-002
OUTSIDE = "HA-RSJ-002"  # a listed dataset no authorization of sjgyy covers


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS="0")


@pytest.mark.both_backends  # the status filter compares dates in SQL: the database decides
def test_the_public_list_page_and_api_with_filters(web: TestClient) -> None:
    every = web.get("/api/v1/authorizations", params={"per_page": 100}).json()
    assert every["total"] == len(every["items"]) >= 14
    on = today()
    for item in every["items"]:  # each status as the calendar makes it today
        assert item["status"] in set(states.AuthorizationStatus)
        if item["status"] == "active":
            assert item["ends_on"] >= on.isoformat()
        if item["status"] == "expired":
            assert item["ends_on"] < on.isoformat()
    pilot = next(i for i in every["items"] if i["id"] == LAPSED_PILOT)
    assert (pilot["status"], pilot["in_force"], pilot["operator"]["id"]) == ("expired", False, "rcfw")
    assert [d["id"] for d in pilot["datasets"]] == ["HA-JYJ-002", "HA-SJJ-103"]
    assert pilot["grantor"]["id"] == "sjj" and pilot["starts_on"] == "2025-11-01"

    mine = web.get("/api/v1/authorizations", params={"operator": "rcfw"}).json()
    assert {i["id"] for i in mine["items"]} == {LAPSED_PILOT, "HADP-SQ-2025-007"}
    expired = web.get("/api/v1/authorizations", params={"status": "expired"}).json()["items"]
    assert LAPSED_PILOT in {i["id"] for i in expired} and all(i["status"] == "expired" for i in expired)
    active = web.get("/api/v1/authorizations", params={"status": "active", "per_page": 100}).json()["items"]
    assert LAPSED_PILOT not in {i["id"] for i in active} and all(i["in_force"] for i in active)
    on_dataset = web.get("/api/v1/authorizations", params={"dataset": "HA-JYJ-002"}).json()["items"]
    assert LAPSED_PILOT in {i["id"] for i in on_dataset}
    assert all("HA-JYJ-002" in {d["id"] for d in i["datasets"]} for i in on_dataset)
    bad = web.get("/api/v1/authorizations", params={"status": "lost"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"

    one = web.get(f"/api/v1/authorizations/{LAPSED_PILOT}").json()
    assert one == pilot
    assert web.get("/api/v1/authorizations/HADP-SQ-1999-001").json()["error"]["code"] == "not_found"

    page = web.get("/authorizations", params={"operator": "rcfw"})
    assert page.status_code == 200 and "公共数据资源授权运营信息" in page.text
    assert LAPSED_PILOT in page.text and "已到期" in page.text and "HADP-SQ-2025-001" not in page.text
    detail = web.get(f"/authorizations/{LAPSED_PILOT}", params={"lang": "en"})
    assert detail.status_code == 200 and "Huai&#39;an Talent Digital Services" in detail.text
    assert "HA-JYJ-002" in detail.text and "Expired" in detail.text
    assert web.get("/authorizations/NO-SUCH").status_code == 404


def _draft(
    web: TestClient, seeded_engine: Engine, owner: dict[str, str], slug: str, sources: list[str]
) -> None:
    with Session(seeded_engine) as session:
        body = {**products.product_input(session, listed_product(session)), "slug": slug}
    body["source_datasets"] = sources
    made = web.post("/api/v1/products", json=body, headers=owner)
    assert made.status_code == 201, made.text


def _admin_post(admin: TestClient, path: str, data: dict[str, str]) -> Any:
    return admin.post(path, data={"csrftoken": csrf(admin, "/account"), **data}, follow_redirects=False)


def test_a_product_outside_its_providers_authorization_is_refused_until_the_scope_covers_it(
    web: TestClient, seeded_engine: Engine
) -> None:
    owner, reviewer = bearer(seeded_engine, OWNER), bearer(seeded_engine, REVIEWER)
    slug = "huaian-talent-flow-index"
    _draft(web, seeded_engine, owner, slug, ["HA-SJJ-101", OUTSIDE])
    refused = move_product(web, owner, slug, "submitted")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert (error["code"], error["datasets"]) == ("outside_authorization", [OUTSIDE])
    assert OUTSIDE in error["fields"]["source_datasets"]
    assert web.get(f"/api/v1/products/{slug}", headers=owner).json()["status"] == "draft"  # nothing moved
    assert web.get(f"/api/v1/products/{slug}", headers=owner).json()["authorization"]["state"] == "lapsed"

    # the administrators widen sjgyy's authorization: audited, the operator told
    admin = signed_in(web, ADMIN, lang="en")
    form = admin.get(f"/admin/authorizations/{PROVIDER_AUTHORIZATION}")
    assert form.status_code == 200
    codes = re.search(r'<textarea id="f-datasets"[^>]*>(.*?)</textarea>', form.text, re.S)
    assert codes is not None and OUTSIDE not in codes.group(1)
    values = {
        name: re.search(rf'id="f-{name}"[^>]*value="([^"]*)"', form.text).group(1)  # type: ignore[union-attr]
        for name in ("agreement_ref", "starts_on", "ends_on")
    }
    purpose = re.search(r'<textarea id="f-purpose"[^>]*>(.*?)</textarea>', form.text, re.S).group(1)  # type: ignore[union-attr]
    changed = _admin_post(
        admin,
        f"/admin/authorizations/{PROVIDER_AUTHORIZATION}",
        {**values, "operator": "sjgyy", "purpose": purpose, "datasets": codes.group(1) + f"\n{OUTSIDE}"},
    )
    assert changed.status_code == 303, changed.text
    with Session(seeded_engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "authorization.update")).one()
        assert OUTSIDE in event.after["datasets"] and OUTSIDE not in event.before["datasets"]  # type: ignore[index]

    assert move_product(web, owner, slug, "submitted").status_code == 200
    assert move_product(web, reviewer, slug, "in_review").status_code == 200
    # suspended meanwhile: the reviewer cannot approve
    reasonless = _admin_post(
        admin, f"/admin/authorizations/{PROVIDER_AUTHORIZATION}/status", {"to": "suspended"}
    )
    assert reasonless.status_code == 422 and "Give the reason." in reasonless.text
    suspended = _admin_post(
        admin,
        f"/admin/authorizations/{PROVIDER_AUTHORIZATION}/status",
        {"to": "suspended", "reason": "整改安全审核问题"},
    )
    assert suspended.status_code == 303
    assert web.get(f"/api/v1/authorizations/{PROVIDER_AUTHORIZATION}").json()["status"] == "suspended"
    approve = APPROVAL
    refused = move_product(web, reviewer, slug, "publicity", **approve)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "outside_authorization"
    assert set(refused.json()["error"]["datasets"]) == {"HA-SJJ-101", OUTSIDE}
    back = _admin_post(admin, f"/admin/authorizations/{PROVIDER_AUTHORIZATION}/status", {"to": "active"})
    assert back.status_code == 303
    assert move_product(web, reviewer, slug, "publicity", **approve).json()["status"] == "listed"
    with Session(seeded_engine) as session:
        steps = session.exec(
            select(AuditEvent.summary)
            .where(AuditEvent.action == "authorization.status")
            .order_by(col(AuditEvent.id))
        ).all()
        assert steps == ["active → suspended: 整改安全审核问题", "suspended → active"]


def test_the_administrators_form_refuses_what_the_rules_do_not_allow(
    web: TestClient, seeded_engine: Engine
) -> None:
    admin = signed_in(web, ADMIN, lang="en")
    with Session(seeded_engine) as session:
        before = len(session.exec(select(Authorization)).all())
    base = {
        "agreement_ref": "淮数授〔2026〕20号",
        "operator": "jkzs",
        "datasets": "HA-JTJ-001, HA-JTJ-002",
        "purpose": "开发城市货运数据产品",
        "starts_on": "2026-12-01",
        "ends_on": "2031-11-30",
    }
    too_long = _admin_post(admin, "/admin/authorizations", {**base, "ends_on": "2031-12-01"})
    assert too_long.status_code == 422 and "at most 5 years" in too_long.text
    unknown = _admin_post(admin, "/admin/authorizations", {**base, "datasets": "HA-JTJ-001 HA-NONE-999"})
    assert unknown.status_code == 422 and "HA-NONE-999" in unknown.text
    not_operator = _admin_post(admin, "/admin/authorizations", {**base, "operator": "sdgyl"})
    assert not_operator.status_code == 422 and "Only an authorized operator" in not_operator.text
    with Session(seeded_engine) as session:
        assert len(session.exec(select(Authorization)).all()) == before  # nothing half-written
    by_hand = _admin_post(admin, "/admin/authorizations", {**base, "code": "HADP-SQ-2026-001-B"})
    assert by_hand.status_code == 303  # a code given by hand is no number of the series
    granted = _admin_post(admin, "/admin/authorizations", base)
    assert granted.status_code == 303
    code = granted.headers["location"].split("/")[-1].split("?")[0]
    assert code == "HADP-SQ-2026-001"
    public = web.get(f"/api/v1/authorizations/{code}").json()
    assert (public["operator"]["id"], public["ends_on"], public["status"]) == ("jkzs", "2031-11-30", "active")
    revoked = _admin_post(
        admin, f"/admin/authorizations/{code}/status", {"to": "revoked", "reason": "协议解除"}
    )
    assert revoked.status_code == 303
    again = _admin_post(admin, f"/admin/authorizations/{code}/status", {"to": "active"})
    assert again.status_code == 409  # revoked is final
    assert web.get(f"/api/v1/authorizations/{code}").json()["status_reason"] == "协议解除"
    # only administrators
    owner = signed_in(web, OWNER, lang="en")
    assert owner.get("/admin/authorizations").status_code == 403
    with db.session_scope(seeded_engine) as session:
        data = AuthorizationCreate.model_validate(authorizations.parse_form(base))
        refused(Forbidden, authorizations.create_authorization, session, actor(session, OWNER), data, "sjj")


def test_a_product_whose_authorization_lapsed_is_flagged_and_takes_no_requests(
    web: TestClient, seeded_engine: Engine
) -> None:
    product = web.get(f"/api/v1/products/{LAPSED_PRODUCT}").json()
    assert product["status"] == "listed"  # it stays listed, at its address
    assert product["authorization"]["state"] == "lapsed"
    assert product["authorization"]["outside"] == ["HA-JYJ-002"]
    page = web.get(f"/products/{LAPSED_PRODUCT}")
    assert "暂停受理新的数据使用申请" in page.text and f"/products/{LAPSED_PRODUCT}/request" not in page.text
    buyer = bearer(seeded_engine, BUYER)
    asked = web.post("/api/v1/requests", json={**REQUEST, "product_id": LAPSED_PRODUCT}, headers=buyer)
    assert asked.status_code == 422, asked.text
    assert asked.json()["error"]["code"] == "outside_authorization"
    covered = web.get(f"/api/v1/products/{listed_product_slug(seeded_engine)}").json()
    assert covered["authorization"]["state"] in ("covered", "ending_soon")
    assert PROVIDER_AUTHORIZATION in covered["authorization"]["authorizations"]


def listed_product_slug(seeded_engine: Engine) -> str:
    with Session(seeded_engine) as session:
        return listed_product(session).slug


def test_operators_and_administrators_are_reminded_once_before_the_end(seeded_engine: Engine) -> None:
    on = dt.date(2028, 1, 10)  # 60 days ahead: every authorization ending 10 January – 10 March 2028
    with db.session_scope(seeded_engine) as session:
        session.exec(update(Authorization).values(reminded_on=None))  # whatever today's start reminded of
        due = session.exec(
            select(Authorization).where(
                Authorization.status == "active",
                col(Authorization.ends_on) >= on,
                col(Authorization.ends_on) <= on + dt.timedelta(days=states.REMIND_DAYS),
            )
        ).all()
        assert len(due) >= 2
        assert authorizations.remind_ending(session, on) == len(due)
    with db.session_scope(seeded_engine) as session:
        assert authorizations.remind_ending(session, on) == 0  # once per end date
        told = session.exec(select(Notification.text).where(col(Notification.text).contains("续期"))).all()
        assert {a.code for a in due} <= {text.split("（")[0] for text in told}
        mails = session.exec(
            select(OutboxMail.to).where(col(OutboxMail.subject).contains("授权即将到期"))
        ).all()
        assert ADMIN in mails
    # a renewal moves the end: reminded again before the new one
    first = due[0]
    with db.session_scope(seeded_engine) as session:
        row = session.exec(select(Authorization).where(Authorization.code == first.code)).one()
        row.ends_on = on + dt.timedelta(days=30)
        row.reminded_on = None
        session.add(row)
    with db.session_scope(seeded_engine) as session:
        assert authorizations.remind_ending(session, on) == 1


def test_a_new_version_outside_the_authorization_is_refused(web: TestClient, seeded_engine: Engine) -> None:
    owner = bearer(seeded_engine, OWNER)
    slug = listed_product_slug(seeded_engine)
    with Session(seeded_engine) as session:
        product = session.exec(select(DataProduct).where(DataProduct.slug == slug)).one()
        sources = products.product_input(session, product)["source_datasets"]
    edited = web.patch(
        f"/api/v1/products/{slug}",
        json={"source_datasets": [*sources, OUTSIDE], "change_summary": "增加人才数据来源"},
        headers=owner,
    )
    assert edited.status_code == 202, edited.text
    refused = web.post(f"/api/v1/products/{slug}/version", json={"to": "submitted"}, headers=owner)
    assert refused.status_code == 422 and refused.json()["error"]["datasets"] == [OUTSIDE]
