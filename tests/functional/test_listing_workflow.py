"""The listing lifecycle over the JSON API with tokens: an owner lists a product from draft to listed,
a reviewer requests changes and then approves, the publicity period is respected, and search and
visibility follow every step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db
from catalog.accounts import auth
from catalog.accounts.models import Organization, User
from catalog.app import create_app
from catalog.audit.models import AuditEvent
from catalog.listings import services as listings
from catalog.listings.models import Notification
from catalog.listings.workflow import CHECKLIST
from catalog.permissions import SYSTEM
from catalog.products import services as products
from catalog.products.models import DataProduct
from catalog.settings import Settings
from tests.conftest import make_settings

PASSWORD = "淮安数据港-test-2026"


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS="7")


@pytest.fixture
def engine(app_settings: Settings) -> Iterator[Engine]:
    engine = db.make_engine(app_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def api(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as client:
        yield client


def token_for(engine: Engine, email: str, scope: str = "write", **roles: object) -> dict[str, str]:
    with db.session_scope(engine) as session:
        user = auth.create_user(session, SYSTEM, email, PASSWORD, **roles)
    with db.session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        secret, _ = auth.create_token(
            session, auth.actor_for_user(session, user), auth.TokenCreate(name="t", scope=scope)
        )
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def cast(engine: Engine) -> dict[str, object]:
    """Owners of a real provider and of another organization, a reviewer, and a new product's input."""
    with Session(engine) as session:
        model = session.exec(select(DataProduct).where(DataProduct.status == "listed")).first()
        assert model is not None
        body = products.product_input(session, model)
        provider = session.get(Organization, model.provider_id)
        other = session.exec(select(Organization).where(Organization.id != model.provider_id)).first()
        assert provider is not None and other is not None
    body.update(
        slug="huaian-cold-chain-trace-index",
        title="淮安冷链物流溯源指数",
        title_en="Huai'an cold-chain traceability index",
    )
    return {
        "body": body,
        "owner": token_for(engine, "owner@provider.cn", organization_code=provider.code, role="owner"),
        "member": token_for(engine, "member@provider.cn", organization_code=provider.code, role="member"),
        "outsider": token_for(engine, "owner@other.cn", organization_code=other.code, role="owner"),
        "reviewer": token_for(engine, "reviewer@sjj.cn", reviewer=True),
        "reader": token_for(
            engine, "reader@provider.cn", scope="read", organization_code=provider.code, role="owner"
        ),
    }


def move(api: TestClient, who: dict[str, str], to: str, **extra: object) -> object:
    return api.post(
        "/api/v1/products/huaian-cold-chain-trace-index/transition", json={"to": to, **extra}, headers=who
    )


def test_an_owner_lists_a_product_through_review_and_publicity(
    api: TestClient, cast: dict, engine: Engine, app_settings: Settings
) -> None:
    owner, reviewer, outsider = cast["owner"], cast["reviewer"], cast["outsider"]
    path = "/api/v1/products/huaian-cold-chain-trace-index"
    # a draft, made once however often the request is retried
    first = api.post("/api/v1/products", json=cast["body"], headers={**owner, "Idempotency-Key": "k-1"})
    again = api.post("/api/v1/products", json=cast["body"], headers={**owner, "Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["status"] == "draft" and again.json()["id"] == first.json()["id"]
    assert api.get(path).status_code == 404  # invisible to the public
    assert api.get(path, headers=outsider).status_code == 404  # and to other organizations
    assert api.get(path, headers=owner).status_code == 200
    assert api.get("/api/v1/search", params={"q": "冷链物流溯源"}).json()["products"]["total"] == 0

    assert move(api, owner, "submitted").status_code == 200
    assert move(api, owner, "publicity").status_code == 409  # not the owner's to approve
    conflict = move(api, reviewer, "listed")
    assert conflict.status_code == 409 and conflict.json()["error"]["allowed"] == ["in_review"]
    assert move(api, reviewer, "in_review").status_code == 200
    no_reason = move(api, reviewer, "changes_requested")
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["fields"]
    assert move(api, reviewer, "changes_requested", reason="补充数据来源说明").status_code == 200

    edited = api.patch(
        path, json={"summary": "覆盖全市冷链仓储与运输环节的溯源指数，按日更新"}, headers=owner
    )
    assert edited.status_code == 200 and edited.json()["summary"].startswith("覆盖全市")
    assert move(api, owner, "submitted").status_code == 200
    assert move(api, reviewer, "in_review").status_code == 200
    partial = move(api, reviewer, "publicity", checklist={"not_core_data": True})
    assert partial.status_code == 422 and partial.json()["error"]["code"] == "checklist_incomplete"
    assert set(partial.json()["error"]["fields"]) == set(CHECKLIST) - {"not_core_data"}
    approved = move(api, reviewer, "publicity", checklist=dict.fromkeys(CHECKLIST, True))
    assert approved.status_code == 200 and approved.json()["status"] == "publicity"

    # in publicity: public, searchable, not yet listed, no listing number
    public = api.get(path).json()
    assert public["status"] == "publicity" and public["listing_no"] is None
    in_publicity = api.get("/api/v1/products", params={"q": "冷链物流溯源", "status": "publicity"}).json()
    assert in_publicity["total"] == 1
    assert api.get("/api/v1/search", params={"q": "冷链物流溯源"}).json()["products"]["total"] == 0
    with db.session_scope(engine) as session:
        assert listings.promote_due(session) == 0  # the period has not ended
    with db.session_scope(engine) as session:
        assert (
            listings.promote_due(session, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=7, minutes=1)) == 1
        )
    api.app.state.indexer.catch_up()  # type: ignore[attr-defined]
    listed = api.get(path).json()
    assert listed["status"] == "listed" and listed["listing_no"].startswith("HADP-")
    assert api.get("/api/v1/search", params={"q": "冷链物流溯源"}).json()["products"]["total"] == 1

    timeline = [
        (s["from_status"], s["to_status"])
        for s in move(api, owner, "delisted", reason="数据源停止更新").json()["timeline"]
    ]
    assert timeline[-3:] == [("in_review", "publicity"), ("publicity", "listed"), ("listed", "delisted")]
    with Session(engine) as session:
        audited = session.exec(select(AuditEvent).where(AuditEvent.action == "product.transition")).all()
        notes = session.exec(select(Notification)).all()
    assert len(audited) == len(timeline)  # every step, the automatic listing (by the system) too
    assert any("changes_requested" in n.text for n in notes)


def test_members_readers_and_outsiders_cannot_move_a_listing(api: TestClient, cast: dict) -> None:
    assert api.post("/api/v1/products", json=cast["body"], headers=cast["owner"]).status_code == 201
    assert move(api, {}, "submitted").status_code == 401
    assert move(api, cast["reader"], "submitted").status_code == 403  # a read token
    assert move(api, cast["member"], "submitted").status_code == 403  # members request, owners list
    assert move(api, cast["outsider"], "submitted").status_code == 404  # cannot even see it
    assert api.post("/api/v1/products", json=cast["body"], headers=cast["outsider"]).status_code == 403


def test_invalid_product_input_answers_422_with_fields(api: TestClient, cast: dict) -> None:
    body = {**cast["body"], "price_model": "per_call", "price": None, "sectors": ["no-such-sector"]}
    answer = api.post("/api/v1/products", json=body, headers=cast["owner"])
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid"
    assert api.post("/api/v1/products", content=b"{not json", headers=cast["owner"]).status_code == 400
