"""Registration per 26号 over HTTP: a listed product found at /verify/{code} and in the API with its
validity and a fingerprint anyone can compute again; the materials approval needs; a change, a
correction and a cancellation as acts of one code; renewal from 60 days before the end; an expired
registration closed to requests; the certificate's QR code; reminders. Each test has its own copy of
the seeded catalog."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from catalog import db
from catalog.accounts.models import OutboxMail
from catalog.products import services as products
from catalog.products.models import DataProduct
from catalog.registrations import services as registrations
from catalog.registrations.models import Registration
from catalog.settings import Settings
from tests.conftest import make_settings
from tests.factories import (
    ADMIN,
    APPROVAL,
    BUYER,
    OWNER,
    REQUEST,
    REVIEWER,
    bearer,
    csrf,
    listed_product,
    move_product,
    signed_in,
)


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS="0")


def _canonical_sha256(snapshot: dict[str, Any]) -> str:
    """As the README tells an outsider to compute it."""
    text = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_listed_product_is_registered_and_verifiable(web: TestClient, seeded_engine: Engine) -> None:
    owner, reviewer = bearer(seeded_engine, OWNER), bearer(seeded_engine, REVIEWER)
    with Session(seeded_engine) as session:
        body = {**products.product_input(session, listed_product(session)), "slug": "huaian-port-throughput"}
    missing = ("lawful_source", "risk_report", "compliance_grade")
    body = {k: v for k, v in body.items() if k not in missing}
    assert web.post("/api/v1/products", json=body, headers=owner).status_code == 201
    assert move_product(web, owner, "huaian-port-throughput", "submitted").status_code == 200
    assert move_product(web, reviewer, "huaian-port-throughput", "in_review").status_code == 200
    refused = move_product(web, reviewer, "huaian-port-throughput", "publicity", **APPROVAL)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "checklist_incomplete"
    assert set(refused.json()["error"]["fields"]) == set(missing)  # the materials it lacks, by name
    assert (
        move_product(
            web, reviewer, "huaian-port-throughput", "changes_requested", reason="补全登记材料"
        ).status_code
        == 200
    )
    patch = {"lawful_source": "数据来源于市交通局依法履职产生的公共数据", "risk_report": "数安评〔2026〕90号"}
    patch["compliance_grade"] = "A（合规）"
    assert web.patch("/api/v1/products/huaian-port-throughput", json=patch, headers=owner).status_code == 200
    assert move_product(web, owner, "huaian-port-throughput", "submitted").status_code == 200
    assert move_product(web, reviewer, "huaian-port-throughput", "in_review").status_code == 200
    listed = move_product(web, reviewer, "huaian-port-throughput", "publicity", **APPROVAL)
    assert listed.json()["status"] == "listed"

    product = web.get("/api/v1/products/huaian-port-throughput").json()
    reg = product["registration"]
    today = dt.date.today()
    assert reg["code"].startswith(f"HADP-DJ-{today.year}-") and product["listing_no"].startswith("HADP-")
    assert (reg["status"], reg["valid_from"]) == ("valid", today.isoformat())
    assert reg["valid_until"] == (today.replace(year=today.year + 3) - dt.timedelta(days=1)).isoformat()
    found = web.get(f"/api/v1/registrations/{reg['code']}").json()
    assert found["item"]["id"] == "huaian-port-throughput" and found["valid_until"] == reg["valid_until"]
    assert found["fingerprint"] == _canonical_sha256(found["snapshot"]) == reg["acts"][0]["fingerprint"]
    assert found["fingerprint_ok"] and found["matches_current"]
    assert found["snapshot"]["metadata"]["lawful_source"] == patch["lawful_source"]
    page = web.get(f"/verify/{reg['code']}")
    assert page.status_code == 200 and found["fingerprint"] in page.text and "首次登记" in page.text
    certificate = web.get(f"/registrations/{reg['code']}/certificate")
    assert "<svg" in certificate.text and f"/verify/{reg['code']}" in certificate.text
    assert "公共数据资源登记证书" in certificate.text
    assert web.get("/api/v1/registrations/HADP-DJ-1999-00001").status_code == 404
    assert web.get("/verify/HADP-DJ-1999-00001").status_code == 404


def test_a_change_a_correction_and_a_cancellation_are_acts_of_one_code(
    web: TestClient, seeded_engine: Engine
) -> None:
    owner, reviewer = bearer(seeded_engine, OWNER), bearer(seeded_engine, REVIEWER)
    with Session(seeded_engine) as session:
        slug = listed_product(session).slug
    code = web.get(f"/api/v1/products/{slug}").json()["registration"]["code"]
    first = web.get(f"/api/v1/registrations/{code}").json()
    assert [a["act"] for a in first["acts"]] == ["first"]  # the seed registered it on its listing date
    assert first["fingerprint_ok"] and first["matches_current"]  # what the seed registered is what it holds

    change = {"summary": "新版：增加县区维度的统计指标", "change_summary": "增加县区维度"}
    assert web.patch(f"/api/v1/products/{slug}", json=change, headers=owner).status_code == 202
    assert (
        web.post(f"/api/v1/products/{slug}/version", json={"to": "submitted"}, headers=owner).status_code
        == 200
    )
    approved = web.post(
        f"/api/v1/products/{slug}/version", json={"to": "approved", **APPROVAL}, headers=reviewer
    )
    assert approved.status_code == 200
    changed = web.get(f"/api/v1/registrations/{code}").json()
    assert [a["act"] for a in changed["acts"]] == ["change", "first"]
    assert changed["valid_until"] == first["valid_until"]  # a change keeps the validity
    assert changed["fingerprint"] != first["fingerprint"] and changed["matches_current"]

    not_reviewer = web.post(
        f"/api/v1/registrations/{code}/corrections",
        json={"reason": "更正错别字", "title": "淮安新标题"},
        headers=owner,
    )
    assert not_reviewer.status_code == 403
    fixed = web.post(
        f"/api/v1/registrations/{code}/corrections",
        json={"reason": "更正标题中的错别字", "title_en": "Corrected English title"},
        headers=reviewer,
    )
    assert fixed.status_code == 200, fixed.text
    assert [a["act"] for a in fixed.json()["acts"]][:1] == ["correction"]
    assert web.get(f"/api/v1/products/{slug}").json()["title_en"] == "Corrected English title"
    assert web.get(f"/api/v1/products/{slug}").json()["version"] == changed["acts"][0]["version"]

    delisted = move_product(web, owner, slug, "delisted", reason="停止运营该产品")
    assert delisted.status_code == 200
    cancelled = web.get(f"/api/v1/registrations/{code}").json()
    assert cancelled["status"] == "cancelled" and cancelled["acts"][0]["reason"] == "停止运营该产品"
    assert web.post(f"/api/v1/registrations/{code}/renewal", headers=owner).status_code == 409


def _age(seeded_engine: Engine, code: str, days_left: int) -> None:
    """Move a registration's end to ``days_left`` days from today, as time passing would."""
    with db.session_scope(seeded_engine) as session:
        session.exec(
            update(Registration)
            .where(col(Registration.code) == code)
            .values(valid_until=dt.date.today() + dt.timedelta(days=days_left))
        )


def test_renewal_opens_sixty_days_before_the_end_and_an_expired_one_takes_no_requests(
    web: TestClient, seeded_engine: Engine
) -> None:
    owner, buyer = bearer(seeded_engine, OWNER), bearer(seeded_engine, BUYER)
    with Session(seeded_engine) as session:
        slug = listed_product(session).slug
    code = web.get(f"/api/v1/products/{slug}").json()["registration"]["code"]
    early = web.post(f"/api/v1/registrations/{code}/renewal", headers=owner)
    assert early.status_code == 409 and "renewal opens on" in early.json()["error"]["message"]

    _age(seeded_engine, code, -1)  # expired yesterday
    assert web.get(f"/api/v1/registrations/{code}").json()["status"] == "expired"
    asked = web.post("/api/v1/requests", json={**REQUEST, "product_id": slug}, headers=buyer)
    assert asked.status_code == 422 and asked.json()["error"]["code"] == "registration_expired"
    assert "已过期" in web.get(f"/products/{slug}").text

    assert web.post(f"/api/v1/registrations/{code}/renewal", headers=buyer).status_code == 403
    owners = signed_in(web, OWNER)
    renewed = owners.post(
        f"/registrations/{code}/renewal",
        data={"csrftoken": csrf(owners, f"/verify/{code}")},
        follow_redirects=False,
    )
    assert renewed.status_code == 303
    after = web.get(f"/api/v1/registrations/{code}").json()
    today = dt.date.today()
    assert (after["status"], after["valid_from"]) == ("valid", today.isoformat())  # from today, once past
    assert [a["act"] for a in after["acts"]][:1] == ["renewal"]
    assert (
        web.post("/api/v1/requests", json={**REQUEST, "product_id": slug}, headers=buyer).status_code == 201
    )


def test_owners_and_administrators_are_reminded_before_a_registration_ends(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        product = session.exec(
            select(DataProduct).where(DataProduct.status == "listed").order_by(col(DataProduct.id))
        ).first()
        assert product is not None and product.registration_code
        code, title = product.registration_code, product.title
    _age(seeded_engine, code, 45)
    with db.session_scope(seeded_engine) as session:
        assert registrations.remind_renewal(session) == 1
        assert registrations.remind_renewal(session) == 0  # once per end date
        mailed = session.exec(select(OutboxMail.to).where(col(OutboxMail.subject).contains(code))).all()
        assert ADMIN in mailed and any(title in body for body in session.exec(select(OutboxMail.body)))
