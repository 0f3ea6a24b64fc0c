"""The listing lifecycle over the JSON API with tokens: an owner lists a product from draft to listed,
a reviewer requests changes and then approves, the publicity period is respected, and search and
visibility follow every step."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db
from catalog.accounts.models import Organization
from catalog.audit.models import AuditEvent
from catalog.datasets.models import Dataset
from catalog.listings import services as listings
from catalog.listings.models import Notification
from catalog.listings.workflow import CHECKLIST
from catalog.products import services as products
from catalog.products.models import DataProduct, ProductRevision
from catalog.settings import Settings
from catalog.workdays import end_of_working_days
from tests.conftest import make_settings
from tests.factories import MEMBER, OWNER, REVIEWER, bearer, listed_product, make_user, signed_in

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS="7")


@pytest.fixture
def cast(seeded_engine: Engine) -> dict[str, object]:
    """Owners of a real provider and of another organization, a reviewer, and a new product's input."""
    with Session(seeded_engine) as session:
        model = listed_product(session)
        body = products.product_input(session, model)
        other = session.exec(select(Organization).where(Organization.id != model.provider_id)).first()
        assert other is not None
    body.update(
        slug="huaian-cold-chain-trace-index",
        title="淮安冷链物流溯源指数",
        title_en="Huai'an cold-chain traceability index",
    )
    make_user(seeded_engine, "owner@other.cn", organization_code=other.code, role="owner")
    return {
        "body": body,
        "owner": bearer(seeded_engine, OWNER),
        "member": bearer(seeded_engine, MEMBER),
        "outsider": bearer(seeded_engine, "owner@other.cn"),
        "reviewer": bearer(seeded_engine, REVIEWER),
        "reader": bearer(seeded_engine, OWNER, scope="read"),  # an owner's token that may only read
    }


def move(web: TestClient, who: dict[str, str], to: str, **extra: object) -> object:
    return web.post(
        "/api/v1/products/huaian-cold-chain-trace-index/transition", json={"to": to, **extra}, headers=who
    )


def test_an_owner_lists_a_product_through_review_and_publicity(
    web: TestClient, cast: dict, seeded_engine: Engine, app_settings: Settings
) -> None:
    owner, reviewer, outsider = cast["owner"], cast["reviewer"], cast["outsider"]
    path = "/api/v1/products/huaian-cold-chain-trace-index"
    # a draft, made once however often the request is retried
    first = web.post("/api/v1/products", json=cast["body"], headers={**owner, "Idempotency-Key": "k-1"})
    again = web.post("/api/v1/products", json=cast["body"], headers={**owner, "Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["status"] == "draft" and again.json()["id"] == first.json()["id"]
    assert web.get(path).status_code == 404  # invisible to the public
    assert web.get(path, headers=outsider).status_code == 404  # and to other organizations
    assert web.get(path, headers=owner).status_code == 200
    assert web.get("/api/v1/search", params={"q": "冷链物流溯源"}).json()["products"]["total"] == 0

    assert move(web, owner, "submitted").status_code == 200
    assert move(web, owner, "publicity").status_code == 409  # not the owner's to approve
    conflict = move(web, reviewer, "listed")
    assert conflict.status_code == 409 and conflict.json()["error"]["allowed"] == ["in_review"]
    assert move(web, reviewer, "in_review").status_code == 200
    no_reason = move(web, reviewer, "changes_requested")
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["fields"]
    assert move(web, reviewer, "changes_requested", reason="补充数据来源说明").status_code == 200

    edited = web.patch(
        path, json={"summary": "覆盖全市冷链仓储与运输环节的溯源指数，按日更新"}, headers=owner
    )
    assert edited.status_code == 200 and edited.json()["summary"].startswith("覆盖全市")
    assert move(web, owner, "submitted").status_code == 200
    assert move(web, reviewer, "in_review").status_code == 200
    partial = move(web, reviewer, "publicity", checklist={"not_core_data": True})
    assert partial.status_code == 422 and partial.json()["error"]["code"] == "checklist_incomplete"
    assert set(partial.json()["error"]["fields"]) == set(CHECKLIST) - {"not_core_data"}
    now = dt.datetime.now(dt.UTC)
    approved = move(web, reviewer, "publicity", checklist=dict.fromkeys(CHECKLIST, True))
    assert approved.status_code == 200 and approved.json()["status"] == "publicity"

    # in publicity: public, searchable, not yet listed, no listing number
    public = web.get(path).json()
    assert public["status"] == "publicity" and public["listing_no"] is None
    in_publicity = web.get("/api/v1/products", params={"q": "冷链物流溯源", "status": "publicity"}).json()
    assert in_publicity["total"] == 1
    assert web.get("/api/v1/search", params={"q": "冷链物流溯源"}).json()["products"]["total"] == 0
    with db.session_scope(seeded_engine) as session:
        assert listings.promote_due(session) == 0  # the period has not ended
    counted = web.get("/api/v1/stats").json()["products"]["listed"]
    with db.session_scope(seeded_engine) as session:
        assert listings.promote_due(session, now=end_of_working_days(now, 7) + dt.timedelta(minutes=1)) == 1
    web.app.state.indexer.catch_up()  # type: ignore[attr-defined]
    listed = web.get(path).json()
    assert listed["status"] == "listed" and listed["listing_no"].startswith("HADP-")
    assert web.get("/api/v1/stats").json()["products"]["listed"] == counted + 1  # counts toward the target
    assert web.get("/api/v1/search", params={"q": "冷链物流溯源"}).json()["products"]["total"] == 1

    timeline = [
        (s["from_status"], s["to_status"])
        for s in move(web, owner, "delisted", reason="数据源停止更新").json()["timeline"]
    ]
    assert timeline[-3:] == [("in_review", "publicity"), ("publicity", "listed"), ("listed", "delisted")]
    with Session(seeded_engine) as session:
        audited = session.exec(select(AuditEvent).where(AuditEvent.action == "product.transition")).all()
        notes = session.exec(select(Notification)).all()
    assert len(audited) == len(timeline)  # every step, the automatic listing (by the system) too
    assert any("changes_requested" in n.text for n in notes)


def test_members_readers_and_outsiders_cannot_move_a_listing(web: TestClient, cast: dict) -> None:
    assert web.post("/api/v1/products", json=cast["body"], headers=cast["owner"]).status_code == 201
    assert move(web, {}, "submitted").status_code == 401
    assert move(web, cast["reader"], "submitted").status_code == 403  # a read token
    assert move(web, cast["member"], "submitted").status_code == 403  # members request, owners list
    assert move(web, cast["outsider"], "submitted").status_code == 404  # cannot even see it
    assert web.post("/api/v1/products", json=cast["body"], headers=cast["outsider"]).status_code == 403


def test_invalid_product_input_answers_422_with_fields(web: TestClient, cast: dict) -> None:
    body = {**cast["body"], "price_model": "per_call", "price": None, "sectors": ["no-such-sector"]}
    answer = web.post("/api/v1/products", json=body, headers=cast["owner"])
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid"
    assert web.post("/api/v1/products", content=b"{not json", headers=cast["owner"]).status_code == 400


def to_publicity(web: TestClient, cast: dict) -> None:
    assert web.post("/api/v1/products", json=cast["body"], headers=cast["owner"]).status_code == 201
    for who, to, extra in (
        ("owner", "submitted", {}),
        ("reviewer", "in_review", {}),
        ("reviewer", "publicity", {"checklist": dict.fromkeys(CHECKLIST, True)}),
    ):
        assert move(web, cast[who], to, **extra).status_code == 200


def later() -> dt.datetime:
    """Past any publicity period of 7 working days begun now, the Spring Festival's included."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=31)


def test_an_open_objection_holds_the_listing_until_a_reviewer_dismisses_it(
    web: TestClient, cast: dict, seeded_engine: Engine
) -> None:
    to_publicity(web, cast)
    objections = "/api/v1/products/huaian-cold-chain-trace-index/objections"
    assert web.post(objections, json={"reason": "该产品使用了我单位未授权的冷库温控数据"}).status_code == 401
    short = web.post(objections, json={"reason": "不同意"}, headers=cast["outsider"])
    assert short.status_code == 422 and "reason" in short.json()["error"]["fields"]
    filed = web.post(
        objections, json={"reason": "该产品使用了我单位未授权的冷库温控数据"}, headers=cast["outsider"]
    )
    assert filed.status_code == 201 and filed.json()["status"] == "open"
    with db.session_scope(seeded_engine) as session:
        assert listings.promote_due(session, now=later()) == 0  # held, though the period is over
    not_reviewer = web.post(
        f"/api/v1/objections/{filed.json()['id']}/answer",
        json={"uphold": False, "answer": "经核查，数据来源已获授权"},
        headers=cast["owner"],
    )
    assert not_reviewer.status_code == 403
    answered = web.post(
        f"/api/v1/objections/{filed.json()['id']}/answer",
        json={"uphold": False, "answer": "经核查，冷库温控数据已取得书面授权"},
        headers=cast["reviewer"],
    )
    assert answered.status_code == 200 and answered.json()["status"] == "dismissed"
    with db.session_scope(seeded_engine) as session:
        assert listings.promote_due(session, now=later()) == 1
    mine = web.get(objections, headers=cast["outsider"]).json()["items"]
    assert [o["answer"] for o in mine] == ["经核查，冷库温控数据已取得书面授权"]
    listed = web.post(objections, json={"reason": "挂牌后再提异议是否还能受理"}, headers=cast["outsider"])
    assert listed.status_code == 409  # only during publicity


def test_an_upheld_objection_sends_the_listing_back_to_its_owner(
    web: TestClient, cast: dict, seeded_engine: Engine
) -> None:
    to_publicity(web, cast)
    filed = web.post(
        "/api/v1/products/huaian-cold-chain-trace-index/objections",
        json={"reason": "产品说明中的覆盖范围与实际不符，缺少县区数据"},
        headers=cast["outsider"],
    ).json()
    upheld = web.post(
        f"/api/v1/objections/{filed['id']}/answer",
        json={"uphold": True, "answer": "请补充县区覆盖说明"},
        headers=cast["reviewer"],
    )
    assert upheld.status_code == 200
    product = web.get("/api/v1/products/huaian-cold-chain-trace-index", headers=cast["owner"]).json()
    assert product["status"] == "changes_requested"
    again = web.post(
        f"/api/v1/objections/{filed['id']}/answer",
        json={"uphold": False, "answer": "再次答复"},
        headers=cast["reviewer"],
    )
    assert again.status_code == 409


def test_objections_through_the_pages(web: TestClient, cast: dict) -> None:
    import re

    to_publicity(web, cast)
    page = "/products/huaian-cold-chain-trace-index"

    assert "异议" in web.get(page).text and 'name="reason"' not in web.get(page).text  # sign in first
    other = signed_in(web, "owner@other.cn")
    html = other.get(page).text
    token = re.search(r'name="csrftoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    filed = other.post(
        f"{page}/objections",
        data={"csrftoken": token, "reason": "数据覆盖范围描述与实际不符"},
        follow_redirects=False,
    )
    assert filed.status_code == 303 and filed.headers["location"].endswith("?objected=1")
    reviewer = signed_in(web, REVIEWER)
    review = reviewer.get("/review/products/huaian-cold-chain-trace-index").text
    assert "数据覆盖范围描述与实际不符" in review
    objection_id = re.search(r'action="/review/objections/(\d+)"', review).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrftoken" value="([^"]+)"', review).group(1)  # type: ignore[union-attr]
    answered = reviewer.post(
        f"/review/objections/{objection_id}",
        data={
            "csrftoken": token,
            "uphold": "1",
            "answer": "请补充覆盖范围",
            "back": "/review/products/huaian-cold-chain-trace-index",
        },
        follow_redirects=False,
    )
    assert answered.status_code == 303
    assert (
        web.get("/api/v1/products/huaian-cold-chain-trace-index", headers=cast["owner"]).json()["status"]
        == "changes_requested"
    )


def test_a_listed_product_edited_stays_public_at_its_old_version_until_the_new_one_is_approved(
    web: TestClient, cast: dict, seeded_engine: Engine
) -> None:
    to_publicity(web, cast)
    with db.session_scope(seeded_engine) as session:
        listings.promote_due(session, now=later())
    web.app.state.indexer.catch_up()  # type: ignore[attr-defined]
    path = "/api/v1/products/huaian-cold-chain-trace-index"
    listed = web.get(path).json()
    owner, reviewer = cast["owner"], cast["reviewer"]
    new_summary = "新增冷库温湿度分钟级数据，覆盖全市十二个冷链仓储园区"
    no_summary = web.patch(path, json={"summary": new_summary}, headers=owner)
    assert no_summary.status_code == 422 and "change_summary" in no_summary.json()["error"]["fields"]
    edited = web.patch(
        path, json={"summary": new_summary, "change_summary": "增加温湿度分钟级数据"}, headers=owner
    )
    assert edited.status_code == 202 and edited.json()["revision"]["status"] == "draft"
    assert list(edited.json()["revision"]["changed"]) == ["summary"]
    assert web.get(path).json()["summary"] == listed["summary"]  # the public still sees the listed version
    assert (
        web.get(f"{path}/version").status_code == 404 or web.get(f"{path}/version").json()["revision"] is None
    )
    version = f"{path}/version"
    assert web.post(version, json={"to": "submitted"}, headers=cast["outsider"]).status_code == 404
    assert web.post(version, json={"to": "submitted"}, headers=owner).status_code == 200
    assert web.patch(path, json={"summary": "再改", "change_summary": "x"}, headers=owner).status_code == 409
    assert (
        web.post(version, json={"to": "approved"}, headers=reviewer).json()["error"]["code"]
        == "checklist_incomplete"
    )
    approved = web.post(
        version, json={"to": "approved", "checklist": dict.fromkeys(CHECKLIST, True)}, headers=reviewer
    )
    assert approved.status_code == 200 and approved.json()["revision"]["version"] == "1.1"
    now = web.get(path).json()
    assert now["summary"] == new_summary and now["version"] == "1.1"
    assert now["listing_no"] == listed["listing_no"]  # the registration code stays with the product
    assert [v["version"] for v in now["versions"]] == ["1.1", "1.0"] and now["versions"][0][
        "summary"
    ] == "增加温湿度分钟级数据"
    assert web.get("/api/v1/search", params={"q": "温湿度分钟级"}).json()["products"]["total"] == 1


def test_a_department_lists_a_dataset_through_the_api(
    web: TestClient, cast: dict, seeded_engine: Engine
) -> None:
    with Session(seeded_engine) as session:
        from catalog.datasets.models import Dataset

        model = session.exec(select(Dataset).where(Dataset.status == "listed")).first()
        assert model is not None
        org = session.get(Organization, model.provider_id)
    make_user(seeded_engine, "data@dept.cn", organization_code=org.code, role="owner")  # type: ignore[union-attr]
    dept = bearer(seeded_engine, "data@dept.cn")
    body = {
        "code": "HA-TEST-901",
        "title": "淮安市公共停车泊位实时数据",
        "title_en": "Huai'an public parking spaces, real time",
        "description": "全市公共停车场泊位总数与空余泊位数，按分钟更新。",
        "provider": org.slug,  # type: ignore[union-attr]
        "sectors": ["transport"],
        "security_grade": "general",
        "sharing_condition": "conditional",
        "update_frequency": "realtime",
        "schema": [{"name": "lot_id", "type": "string", "description": "停车场编号"}],
    }
    assert web.post("/api/v1/datasets", json={**body, "schema": []}, headers=dept).status_code == 422
    assert web.post("/api/v1/datasets", json=body, headers=cast["owner"]).status_code in (
        403,
        422,
    )  # not their department
    made = web.post("/api/v1/datasets", json=body, headers=dept)
    assert made.status_code == 201 and made.json()["status"] == "draft"
    assert web.get("/api/v1/datasets/HA-TEST-901").status_code == 404
    edited = web.patch("/api/v1/datasets/HA-TEST-901", json={"spatial_coverage": "淮安市区"}, headers=dept)
    assert edited.status_code == 200
    steps = [
        (dept, "submitted", {}),
        (cast["reviewer"], "in_review", {}),
        (cast["reviewer"], "publicity", {"checklist": dict.fromkeys(CHECKLIST, True)}),
    ]
    for who, to, extra in steps:
        assert (
            web.post(
                "/api/v1/datasets/HA-TEST-901/transition", json={"to": to, **extra}, headers=who
            ).status_code
            == 200
        )
    with db.session_scope(seeded_engine) as session:
        assert listings.promote_due(session, now=later()) == 1
    assert web.get("/api/v1/datasets/HA-TEST-901").json()["status"] == "listed"
    core = {**body, "code": "HA-TEST-902", "security_grade": "core"}
    assert web.post("/api/v1/datasets", json=core, headers=dept).status_code == 201  # a draft may record it
    refused = web.post("/api/v1/datasets/HA-TEST-902/transition", json={"to": "submitted"}, headers=dept)
    assert (
        refused.status_code == 422 and "security_grade" in refused.json()["error"]["fields"]
    )  # never listed


def test_review_fixes_hold(
    web: TestClient, cast: dict, seeded_engine: Engine, app_settings: Settings
) -> None:
    """Found by review: reviewers of their own organization, core data, hidden sources, a new version
    after delisting, the member's view and listing numbers past 9999."""
    with Session(seeded_engine) as session:
        model = listed_product(session)
        provider = session.get(Organization, model.provider_id)
        assert provider is not None
        hidden = session.exec(
            select(Dataset).where(Dataset.status == "draft", Dataset.provider_id != model.provider_id)  # type: ignore[union-attr]
        ).first()
    make_user(seeded_engine, "both@provider.cn", reviewer=True, organization_code=provider.code, role="owner")
    own_reviewer = bearer(seeded_engine, "both@provider.cn")
    assert web.post("/api/v1/products", json=cast["body"], headers=cast["owner"]).status_code == 201
    assert move(web, cast["owner"], "submitted").status_code == 200
    assert move(web, own_reviewer, "in_review").status_code == 403  # not on their own organization's listing
    if hidden is not None:  # another organization's draft dataset is as unknown as a made-up code
        body = {**cast["body"], "slug": "uses-a-hidden-source", "source_datasets": [hidden.code]}
        made_up = {**cast["body"], "slug": "uses-a-made-up-source", "source_datasets": ["HA-NONE-000"]}
        one = web.post("/api/v1/products", json=body, headers=cast["owner"])
        two = web.post("/api/v1/products", json=made_up, headers=cast["owner"])
        assert one.status_code == two.status_code == 422 and hidden.title not in one.text
    # a member (not an owner) opens the organization's items from the workspace
    member = signed_in(web, MEMBER)
    assert member.get("/owner/products/huaian-cold-chain-trace-index").status_code == 200
    # listing numbers keep counting past 9999
    with db.session_scope(seeded_engine) as session:
        for n, number in enumerate(("HADP-2031-9999", "HADP-2031-10000")):
            row = session.exec(select(DataProduct).where(DataProduct.status == "listed").offset(n)).first()
            row.listing_no = number  # type: ignore[union-attr]
    with Session(seeded_engine) as session:
        assert products.next_listing_no(session, 2031) == "HADP-2031-10001"


def test_core_data_is_never_submitted(web: TestClient, cast: dict) -> None:
    body = {**cast["body"], "slug": "core-attempt"}
    assert (
        web.post(
            "/api/v1/products", json={**body, "security_grade": "core"}, headers=cast["owner"]
        ).status_code
        == 422
    )


def engine_of(web: TestClient) -> Engine:
    return web.app.state.engine  # type: ignore[attr-defined]


def test_a_new_version_dies_with_the_delisting(web: TestClient, cast: dict, seeded_engine: Engine) -> None:
    to_publicity(web, cast)
    with db.session_scope(seeded_engine) as session:
        listings.promote_due(session, now=later())
    path = "/api/v1/products/huaian-cold-chain-trace-index"
    assert (
        web.patch(
            path,
            json={"summary": "新版摘要：增加县区覆盖", "change_summary": "增加县区"},
            headers=cast["owner"],
        ).status_code
        == 202
    )
    assert web.post(f"{path}/version", json={"to": "submitted"}, headers=cast["owner"]).status_code == 200
    assert move(web, cast["owner"], "delisted", reason="停止供数").status_code == 200
    approve = {"to": "approved", "checklist": dict.fromkeys(CHECKLIST, True)}
    assert web.post(f"{path}/version", json=approve, headers=cast["reviewer"]).status_code == 404
    assert web.get(path).json()["version"] == "1.0"


def test_delisting_withdraws_the_new_version_through_its_workflow(
    web: TestClient, cast: dict, seeded_engine: Engine
) -> None:
    """The new version moves by its lifecycle's step: a claimed state, an audit event, a notification."""
    to_publicity(web, cast)
    with db.session_scope(seeded_engine) as session:
        listings.promote_due(session, now=later())
    path = "/api/v1/products/huaian-cold-chain-trace-index"
    change = {"summary": "新版摘要：增加县区覆盖", "change_summary": "增加县区"}
    assert web.patch(path, json=change, headers=cast["owner"]).status_code == 202
    assert web.post(f"{path}/version", json={"to": "submitted"}, headers=cast["owner"]).status_code == 200
    assert move(web, cast["owner"], "delisted", reason="停止供数").status_code == 200
    with Session(seeded_engine) as session:
        product = session.exec(select(DataProduct).where(DataProduct.slug == path.rsplit("/", 1)[1])).one()
        revision = session.exec(select(ProductRevision).where(ProductRevision.product_id == product.id)).one()
        assert revision.status == "withdrawn"
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "product.revision").order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
        ).first()
        assert event is not None and event.target_id == product.slug
        assert event.actor_label == OWNER  # the owner's delisting withdrew it
        assert event.before == {"status": "submitted"} and event.after == {"status": "withdrawn"}
        mine = Notification.organization_id == product.provider_id
        told = session.exec(select(Notification.text).where(mine)).all()
        assert any("submitted → withdrawn (delisted)" in text for text in told)


def test_the_timer_never_lists_what_moved_on_meanwhile(
    web: TestClient, cast: dict, seeded_engine: Engine
) -> None:
    to_publicity(web, cast)
    with Session(seeded_engine) as session:  # the timer read the product while it was in publicity …
        stale = session.exec(
            select(DataProduct).where(DataProduct.slug == "huaian-cold-chain-trace-index")
        ).one()
        assert (
            move(web, cast["reviewer"], "changes_requested", reason="撤出公示核查").status_code == 200
        )  # … a reviewer acts
        assert listings._list_if_still_due(session, "product", DataProduct, stale) == 0
        session.commit()
    assert (
        web.get("/api/v1/products/huaian-cold-chain-trace-index", headers=cast["owner"]).json()["status"]
        == "changes_requested"
    )


def test_a_step_only_the_system_takes_is_no_step_for_people(
    web: TestClient, cast: dict, seeded_engine: Engine
) -> None:
    """Withdrawing a submitted new version (the delisting's) and listing at the end of publicity (the
    timer's) answer a person 409 with the steps they have, as a step the table lacks does."""
    to_publicity(web, cast)
    owner, reviewer = cast["owner"], cast["reviewer"]
    listing = move(web, reviewer, "listed")
    assert listing.status_code == 409 and listing.json()["error"]["code"] == "invalid_transition"
    assert listing.json()["error"]["allowed"] == ["changes_requested"]
    with db.session_scope(seeded_engine) as session:
        listings.promote_due(session, now=later())
    path = "/api/v1/products/huaian-cold-chain-trace-index"
    change = {"summary": "新版摘要：增加县区覆盖", "change_summary": "增加县区"}
    assert web.patch(path, json=change, headers=owner).status_code == 202
    assert web.post(f"{path}/version", json={"to": "submitted"}, headers=owner).status_code == 200
    for who, allowed in ((owner, []), (reviewer, ["approved", "changes_requested", "rejected"])):
        withdrawn = web.post(f"{path}/version", json={"to": "withdrawn"}, headers=who)
        assert withdrawn.status_code == 409, withdrawn.json()
        assert withdrawn.json()["error"]["code"] == "invalid_transition"
        assert withdrawn.json()["error"]["allowed"] == allowed
