"""Fee caps per authorization and charging unit (发改价格〔2025〕65号) over HTTP: a price over its cap
refused at submit and at approval (``price_over_cap`` with the cap), caps as dated records set by
administrators, units compared with the cap's base unit, every published fee kept (明码标价) and trial
fees marked. Each test has its own copy of the seeded catalog."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog.audit.models import AuditEvent
from catalog.products import services as products
from catalog.settings import Settings
from tests.conftest import make_settings
from tests.factories import (
    ADMIN,
    APPROVAL,
    OWNER,
    REVIEWER,
    bearer,
    csrf,
    listed_product,
    move_product,
    signed_in,
)

PROVIDER_AUTHORIZATION = "HADP-SQ-2025-001"  # sjgyy's: per call capped at 1.5 元/次 from the seed


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS="0")


def _set_cap(admin: TestClient, model: str, amount: str, code: str = PROVIDER_AUTHORIZATION) -> Any:
    form = {
        "csrftoken": csrf(admin, "/account"),
        "price_model": model,
        "amount": amount,
        "effective_from": dt.date.today().isoformat(),
        "document": "淮发改价〔2026〕30号",
    }
    return admin.post(f"/admin/authorizations/{code}/caps", data=form, follow_redirects=False)


def test_a_price_over_its_cap_is_refused_at_submit_and_at_approval(
    web: TestClient, seeded_engine: Engine
) -> None:
    owner, reviewer = bearer(seeded_engine, OWNER), bearer(seeded_engine, REVIEWER)
    with Session(seeded_engine) as session:
        body = {**products.product_input(session, listed_product(session)), "slug": "huaian-freight-api"}
    body |= {"use_category": "industry", "price_model": "per_call", "price": "2", "price_unit": "元/次"}
    assert web.post("/api/v1/products", json=body, headers=owner).status_code == 201
    refused = move_product(web, owner, "huaian-freight-api", "submitted")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "price_over_cap"
    assert (error["cap"]["amount"], error["cap"]["unit"], error["cap"]["authorization"]) == (
        1.5,
        "元/次",
        PROVIDER_AUTHORIZATION,
    )
    # a unit the port cannot compare with the cap is refused, not let past it
    odd = web.patch(
        "/api/v1/products/huaian-freight-api", json={"price": "2", "price_unit": "元/条次"}, headers=owner
    )
    assert odd.status_code == 200
    unknown = move_product(web, owner, "huaian-freight-api", "submitted")
    assert unknown.status_code == 422 and "price_unit" in unknown.json()["error"]["fields"]
    # 1,200 元 per thousand calls is 1.2 元 a call: within the cap
    patched = web.patch(
        "/api/v1/products/huaian-freight-api", json={"price": "1200", "price_unit": "元/千次"}, headers=owner
    )
    assert patched.status_code == 200, patched.text
    assert move_product(web, owner, "huaian-freight-api", "submitted").status_code == 200
    assert move_product(web, reviewer, "huaian-freight-api", "in_review").status_code == 200

    admin = signed_in(web, ADMIN, lang="en")
    assert _set_cap(admin, "per_call", "-1").status_code == 422  # nothing set
    assert _set_cap(admin, "per_call", "1.0").status_code == 303  # lowered from today
    lowered = move_product(web, reviewer, "huaian-freight-api", "publicity", **APPROVAL)
    assert lowered.status_code == 422 and lowered.json()["error"]["cap"]["amount"] == 1.0
    assert _set_cap(admin, "per_call", "1.3").status_code == 303  # the later cap of the day wins
    assert (
        move_product(web, reviewer, "huaian-freight-api", "publicity", **APPROVAL).json()["status"]
        == "listed"
    )

    product = web.get("/api/v1/products/huaian-freight-api").json()
    assert (product["price_cap"]["amount"], product["price_cap"]["effective_from"]) == (
        1.3,
        dt.date.today().isoformat(),
    )
    assert [(h["price"], h["price_unit"]) for h in product["price_history"]] == [(1200.0, "元/千次")]
    caps = web.get(f"/api/v1/authorizations/{PROVIDER_AUTHORIZATION}").json()["caps"]
    assert [c["amount"] for c in caps if c["price_model"] == "per_call"] == [1.5, 1.0, 1.3]
    with Session(seeded_engine) as session:
        audited = session.exec(
            select(AuditEvent.summary).where(AuditEvent.action == "authorization.cap")
        ).all()
        assert len(audited) == 2 and "1.3" in audited[-1]
    page = web.get(f"/authorizations/{PROVIDER_AUTHORIZATION}")
    assert "淮发改价〔2026〕30号" in page.text and "上限收费标准" in page.text


def test_a_new_fee_is_kept_with_the_old_and_a_trial_fee_is_marked(
    web: TestClient, seeded_engine: Engine
) -> None:
    owner, reviewer = bearer(seeded_engine, OWNER), bearer(seeded_engine, REVIEWER)
    with Session(seeded_engine) as session:
        product = listed_product(session)
        slug, old_price = product.slug, product.price
    before = web.get(f"/api/v1/products/{slug}").json()
    assert len(before["price_history"]) == 1  # the fee it was listed with
    changes = {
        "use_category": "industry",
        "price_model": "per_call",
        "price": "9",
        "price_unit": "元/次",
        "change_summary": "调整收费",
    }
    assert web.patch(f"/api/v1/products/{slug}", json=changes, headers=owner).status_code == 202
    over = web.post(f"/api/v1/products/{slug}/version", json={"to": "submitted"}, headers=owner)
    assert over.status_code == 422 and over.json()["error"]["code"] == "price_over_cap"
    fine = {**changes, "price": "0.8", "price_trial": True}
    assert web.patch(f"/api/v1/products/{slug}", json=fine, headers=owner).status_code == 202
    assert (
        web.post(f"/api/v1/products/{slug}/version", json={"to": "submitted"}, headers=owner).status_code
        == 200
    )
    approved = web.post(
        f"/api/v1/products/{slug}/version", json={"to": "approved", **APPROVAL}, headers=reviewer
    )
    assert approved.status_code == 200, approved.text
    after = web.get(f"/api/v1/products/{slug}").json()
    assert after["price_trial"] is True and after["price"] == 0.8
    history = after["price_history"]
    assert [h["price"] for h in history] == [0.8, float(old_price) if old_price is not None else None]
    assert history[0]["trial"] is True and history[0]["effective_from"] == dt.date.today().isoformat()
    page = web.get(f"/products/{slug}")
    assert "试行收费" in page.text and "收费标准变更记录" in page.text
