"""Input that one database holds and another refuses is answered the same on every backend, never
with a 500: the NUL character (PostgreSQL's text cannot hold it), ids past 32 bits (its integer
column), and texts longer than a column (SQLite does not check lengths; PostgreSQL does)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db
from catalog.audit.models import AuditEvent
from catalog.listings.models import Notification
from catalog.listings.services import TransitionRequest, transition
from catalog.permissions import SYSTEM
from catalog.products.models import DataProduct
from catalog.settings import Settings
from tests.factories import PLAIN, bearer, make_user

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"

LONG_EMAIL = "a" * 64 + "@" + "b" * 62 + "." + "b" * 61 + "." + "b" * 61 + ".cn"  # 254: the most allowed


@pytest.mark.parametrize(
    "path",
    [
        "/products/%00",
        "/api/v1/products/a%00b",
        "/datasets/%00",
        "/organizations/x%00",
        "/api/v1/datasets/%00",
    ],
)
def test_an_address_with_a_nul_character_names_nothing(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404


def test_a_nul_character_is_dropped_from_the_query_string(client: TestClient) -> None:
    assert client.get("/api/v1/products", params={"q": "公交\x00"}).json()["total"] > 0
    assert client.get("/api/3/action/package_show", params={"id": "\x00"}).status_code == 409  # no id given


def test_a_body_with_a_nul_character_is_a_bad_request(web: TestClient, seeded_engine: Engine) -> None:
    headers = bearer(seeded_engine, PLAIN)
    body = {"product_id": "\x00", "purpose": "测试用途", "scenario": "测试场景", "term_months": 12}
    answer = web.post(
        "/api/v1/requests", json={**body, "contact": "王晓 138", "accept_license": True}, headers=headers
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("number", [2**31, 2**40, 2**63, 10**30])
def test_an_id_past_the_databases_integers_is_not_found(
    web: TestClient, seeded_engine: Engine, number: int
) -> None:
    headers = bearer(seeded_engine, PLAIN)
    assert web.get(f"/api/v1/requests/{number}", headers=headers).status_code == 404
    assert web.delete(f"/api/v1/tokens/{number}", headers=headers).status_code == 404


def test_an_account_with_the_longest_address_acts_and_is_audited(seeded_engine: Engine) -> None:
    assert len(LONG_EMAIL) == 254
    make_user(seeded_engine, LONG_EMAIL)
    bearer(seeded_engine, LONG_EMAIL)  # creating the token is audited with the account as actor
    with Session(seeded_engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "token.create")).one()
    assert LONG_EMAIL.startswith(event.actor_label) and len(event.actor_label) == 200


def test_a_long_reason_fits_the_owners_notification(seeded_settings: Settings, seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        slug, slug_title = session.exec(
            select(DataProduct.slug, DataProduct.title).where(DataProduct.status == "in_review")
        ).first()  # type: ignore[misc]
    reason = "请补充数据来源授权文件与脱敏说明。" * 117  # 2,000 characters, the most a reason may have
    with db.session_scope(seeded_engine) as session:
        transition(
            session,
            seeded_settings,
            SYSTEM,
            "product",
            slug,  # type: ignore[arg-type]
            TransitionRequest(to="rejected", reason=reason[:2000]),
        )
    with Session(seeded_engine) as session:
        notice = session.exec(select(Notification).order_by(Notification.id.desc())).first()  # type: ignore[union-attr]
    assert notice is not None and len(notice.text) == 500 and notice.text.startswith(slug_title)
