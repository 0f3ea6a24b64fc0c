"""Access requests over the API: an enterprise requests a listed product and follows each step to
delivery; the provider answers; nobody else sees any of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db, permissions
from catalog.accounts import auth
from catalog.accounts.models import Organization, OutboxMail, User
from catalog.app import create_app
from catalog.permissions import SYSTEM
from catalog.products.models import DataProduct
from catalog.requests import services as requests
from catalog.requests.models import AccessRequest, is_overdue, overdue_sql
from catalog.requests.workflow import RequestStatus
from tests.factories import (
    BUYER,
    MEMBER,
    OWNER,
    REQUEST,
    REQUESTER,
    REVIEWER,
    actor,
    bearer,
    csrf,
    listed_product,
    make_organization,
    make_product,
    make_user,
    signed_in,
)

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"


@pytest.fixture
def sides(seeded_engine: Engine) -> dict[str, object]:
    with Session(seeded_engine) as session:
        product = listed_product(session).slug
    spies = make_organization(seeded_engine, "MA1QTR45", "淮安某某数据有限公司")
    make_user(seeded_engine, "spy@other.cn", organization_code=spies)
    return {
        "product": product,
        "requester": bearer(seeded_engine, BUYER),
        "other": bearer(seeded_engine, "spy@other.cn"),
        "owner": bearer(seeded_engine, OWNER),
    }


def ask(web: TestClient, who: dict[str, str], product: str, **changes: object) -> object:
    return web.post("/api/v1/requests", json={**REQUEST, "product_id": product, **changes}, headers=who)


def step(web: TestClient, who: dict[str, str], request_id: int, to: str, **extra: object) -> object:
    return web.post(f"/api/v1/requests/{request_id}/transition", json={"to": to, **extra}, headers=who)


def test_from_request_to_delivery(web: TestClient, sides: dict, seeded_engine: Engine) -> None:
    requester, owner, other, product = sides["requester"], sides["owner"], sides["other"], sides["product"]
    refused = ask(web, requester, product, accept_license=False, purpose="")
    assert refused.status_code == 422 and {"accept_license", "purpose"} <= set(
        refused.json()["error"]["fields"]
    )
    made = ask(web, requester, product)
    assert made.status_code == 201 and made.json()["status"] == "submitted"
    rid = made.json()["id"]
    duplicate = ask(web, requester, product)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "duplicate"
    assert (
        web.get(f"/api/v1/requests/{rid}", headers=other).status_code == 404
    )  # another organization sees nothing
    assert web.get(f"/api/v1/requests/{rid}").status_code == 404
    assert [
        r["id"]
        for r in web.get("/api/v1/requests", params={"side": "incoming"}, headers=owner).json()["items"]
    ] == [rid]

    assert step(web, requester, rid, "under_review").status_code == 403  # the provider's step
    assert step(web, owner, rid, "delivered").status_code == 409
    assert step(web, owner, rid, "under_review").status_code == 200
    assert step(web, owner, rid, "more_info_needed").status_code == 422  # the question is required
    assert step(web, owner, rid, "more_info_needed", reason="请说明数据使用的车辆规模").status_code == 200
    thread = web.post(
        f"/api/v1/requests/{rid}/messages", json={"body": "约200辆冷藏车，覆盖主城区"}, headers=requester
    )
    assert thread.status_code == 201 and thread.json()["messages"][0]["read"] is False
    assert step(web, requester, rid, "submitted").status_code == 200
    seen = web.get(f"/api/v1/requests/{rid}", headers=owner).json()
    assert seen["messages"][0]["body"] == "约200辆冷藏车，覆盖主城区"
    assert web.get(f"/api/v1/requests/{rid}", headers=requester).json()["messages"][0]["read"] is True
    for to in ("under_review", "approved", "agreement_signed"):
        assert step(web, owner, rid, to).status_code == 200
    no_delivery = step(web, owner, rid, "delivered")
    assert no_delivery.status_code == 422
    delivery = {
        "method": "api_credential",
        "details": "app_key=hdp-demo-key-7f3a",
        "expires_at": "2027-11-30T00:00:00Z",
    }
    assert step(web, owner, rid, "delivered", delivery=delivery).status_code == 200
    again = web.get(f"/api/v1/requests/{rid}", headers=requester).json()
    assert again["status"] == "delivered" and again["delivery"]["method"] == "api_credential"
    assert "details" not in again["delivery"] and again["delivery"]["details_for_you"] is True
    for _ in range(2):  # as often as the requester asks
        shown = web.post(f"/api/v1/requests/{rid}/delivery", headers=requester)
        assert shown.json() == {"details": "app_key=hdp-demo-key-7f3a"}
        assert shown.headers["cache-control"] == "private, no-store"
    assert [e["to_status"] for e in again["events"]] == [
        "submitted",
        "under_review",
        "more_info_needed",
        "submitted",
        "under_review",
        "approved",
        "agreement_signed",
        "delivered",
    ]
    with Session(seeded_engine) as session:
        mails = session.exec(select(OutboxMail).where(OutboxMail.to == BUYER)).all()
    assert len(mails) >= 5  # the requester heard of every provider step and message


def test_a_withdrawn_request_cannot_be_approved(web: TestClient, sides: dict) -> None:
    rid = ask(web, sides["requester"], sides["product"]).json()["id"]
    assert step(web, sides["owner"], rid, "under_review").status_code == 200
    assert step(web, sides["requester"], rid, "withdrawn").status_code == 200
    refused = step(web, sides["owner"], rid, "approved")
    assert refused.status_code == 409 and refused.json()["error"]["allowed"] == []
    assert (
        ask(web, sides["requester"], sides["product"]).status_code == 201
    )  # no longer open: a new one may be made


def test_overdue_and_expired_requests(web: TestClient, sides: dict, seeded_engine: Engine) -> None:
    rid = ask(web, sides["requester"], sides["product"]).json()["id"]
    assert web.get(f"/api/v1/requests/{rid}", headers=sides["owner"]).json()["overdue"] is False
    with db.session_scope(seeded_engine) as session:
        row = session.get(AccessRequest, rid)
        row.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)  # type: ignore[union-attr]
    assert web.get(f"/api/v1/requests/{rid}", headers=sides["owner"]).json()["overdue"] is True
    with db.session_scope(seeded_engine) as session:
        assert requests.expire_undecided(session, 45) == 0
        assert (
            requests.expire_undecided(session, 45, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=46)) == 1
        )
    assert web.get(f"/api/v1/requests/{rid}", headers=sides["requester"]).json()["status"] == "expired"


def test_the_request_pages_from_form_to_delivery(web: TestClient, sides: dict, seeded_engine: Engine) -> None:

    product = sides["product"]
    assert "/login" in web.get(f"/products/{product}/request").text  # sign in first
    buyer, owner = signed_in(web, BUYER), signed_in(web, OWNER)
    form = f"/products/{product}/request"
    page = buyer.get(form).text
    assert 'name="accept_license"' in page and "许可条款" in page and "版" in page  # the terms, their version
    values = {
        "purpose": "冷链配送线路优化",
        "scenario": "城市配送车辆调度",
        "term_months": "6",
        "contact": "王晓 13800000000",
    }
    missing = buyer.post(form, data={"csrftoken": csrf(buyer, form), **values})
    assert missing.status_code == 422 and 'id="f-accept-error"' in missing.text
    made = buyer.post(
        form, data={"csrftoken": csrf(buyer, form), **values, "accept_license": "1"}, follow_redirects=False
    )
    assert made.status_code == 303
    path = made.headers["location"]
    again = buyer.post(form, data={"csrftoken": csrf(buyer, form), **values, "accept_license": "1"})
    assert again.status_code == 409 and path in again.text  # a link to the open request
    assert "冷链配送线路优化" not in signed_in(web, "spy@other.cn").get(path).text
    assert path.rsplit("/", 1)[1] in owner.get("/owner/requests").text
    for to in ("under_review", "approved", "agreement_signed"):
        assert (
            owner.post(
                f"{path}/transition", data={"csrftoken": csrf(owner, path), "to": to}, follow_redirects=False
            ).status_code
            == 303
        )
    delivered = owner.post(
        f"{path}/transition",
        data={
            "csrftoken": csrf(owner, path),
            "to": "delivered",
            "method": "file_link",
            "details": "https://files.example/abc",
            "expires_at": "2027-06-30",
        },
        follow_redirects=False,
    )
    assert delivered.status_code == 303
    assert (
        owner.post(
            f"{path}/messages",
            data={"csrftoken": csrf(owner, path), "body": "文件已上传，请查收"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    view = buyer.get(path).text
    assert "https://files.example/abc" not in view and "文件已上传，请查收" in view  # not on a mere visit
    assert "查看交付信息" in view and "查看交付信息" not in owner.get(path).text  # the requester's button
    for _ in range(2):  # on asking, as often as needed
        shown = buyer.post(f"{path}/delivery", data={"csrftoken": csrf(buyer, path)})
        assert shown.status_code == 200 and "https://files.example/abc" in shown.text
        assert shown.headers["cache-control"] == "private, no-store"
    refused = owner.post(f"{path}/delivery", data={"csrftoken": csrf(owner, path)})
    assert refused.status_code == 403 and "https://files.example/abc" not in refused.text
    assert "已交付" in buyer.get("/requests").text


def test_followers_hear_of_new_products_versions_and_delisting(
    web: TestClient, sides: dict, seeded_engine: Engine
) -> None:
    from catalog.listings.models import Notification
    from catalog.listings.workflow import CHECKLIST

    requester, owner = sides["requester"], sides["owner"]
    product = sides["product"]
    assert (
        web.post("/api/v1/follows", json={"product": product}, headers=requester).json()["following"] is True
    )
    with Session(seeded_engine) as session:
        provider = session.exec(select(DataProduct).where(DataProduct.slug == product)).one().provider_id
        slug = session.get(Organization, provider).slug  # type: ignore[union-attr]
        buyer_org = session.exec(select(Organization).where(Organization.slug == REQUESTER)).one().id
    assert web.post("/api/v1/follows", json={"provider": slug}, headers=requester).status_code == 200
    assert web.post("/api/v1/follows", json={}, headers=requester).status_code == 422

    def heard() -> list[str]:
        with Session(seeded_engine) as session:
            return [
                n.text
                for n in session.exec(select(Notification).where(Notification.organization_id == buyer_org))
            ]

    path = f"/api/v1/products/{product}"
    assert (
        web.patch(
            path, json={"summary": "增加夜间时段的统计口径", "change_summary": "夜间口径"}, headers=owner
        ).status_code
        == 202
    )
    reviewer = bearer(seeded_engine, REVIEWER)
    assert web.post(f"{path}/version", json={"to": "submitted"}, headers=owner).status_code == 200
    approve = {"to": "approved", "checklist": dict.fromkeys(CHECKLIST, True)}
    assert web.post(f"{path}/version", json=approve, headers=reviewer).status_code == 200
    assert any("new version 1.1" in t for t in heard())
    web.post(f"{path}/transition", json={"to": "delisted", "reason": "停止供数"}, headers=owner)
    assert any("delisted" in t for t in heard())
    assert (
        web.request("DELETE", "/api/v1/follows", json={"product": product}, headers=requester).json()[
            "following"
        ]
        is False
    )


def test_a_request_carries_a_checked_attachment_seen_by_both_sides_only(
    web: TestClient, sides: dict, tmp_path: Path
) -> None:
    import re

    buyer = signed_in(web, BUYER)
    form = f"/products/{sides['product']}/request"

    def send(name: str, content: bytes) -> object:
        token = re.search(r'name="csrftoken" value="([^"]+)"', buyer.get(form).text).group(1)  # type: ignore[union-attr]
        values = {
            "csrftoken": token,
            "purpose": "冷链配送线路优化",
            "scenario": "城市配送车辆调度",
            "term_months": "6",
            "contact": "王晓 13800000000",
            "accept_license": "1",
        }
        return buyer.post(form, data=values, files={"attachment": (name, content)}, follow_redirects=False)

    bad = send("tool.exe", b"MZ\x90\x00")
    assert bad.status_code == 422 and 'id="f-attachment-error"' in bad.text  # type: ignore[attr-defined]
    pdf = "%PDF-1.7\n% 淮安云帆物流 营业执照\n%%EOF\n".encode()
    made = send("营业执照.pdf", pdf)
    assert made.status_code == 303  # type: ignore[attr-defined]
    path = made.headers["location"]  # type: ignore[attr-defined]
    assert "营业执照.pdf" in buyer.get(path).text
    download = signed_in(web, OWNER).get(f"{path}/attachment")
    assert download.status_code == 200 and download.content == pdf
    assert download.headers["content-disposition"].startswith("attachment")
    assert signed_in(web, "spy@other.cn").get(f"{path}/attachment").status_code == 404
    # another node: its own data dir (index, secret) and the uploads directory the nodes share
    settings = web.app.state.settings
    node_b = replace(settings, data_dir=tmp_path / "node-b", uploads_path=settings.uploads_dir)
    with TestClient(create_app(node_b)) as other:
        assert signed_in(other, OWNER).get(f"{path}/attachment").content == pdf


def test_review_fixes_for_requests(web: TestClient, sides: dict, seeded_engine: Engine) -> None:
    """Found by review: a "system…" e-mail, racing steps, duplicate rows, the once-only delivery,
    out-of-range dates, both sides at once, what plain provider members hear, follows twice."""
    from sqlalchemy.exc import IntegrityError

    from catalog.listings.models import Notification
    from catalog.requests.models import Follow

    requester, owner, product = sides["requester"], sides["owner"], sides["product"]
    rid = ask(web, requester, product).json()["id"]
    make_user(seeded_engine, "system.ops@evil.cn")
    impostor = bearer(seeded_engine, "system.ops@evil.cn")  # an account, whatever its address, is a person
    assert web.get(f"/api/v1/requests/{rid}", headers=impostor).status_code == 404
    assert step(web, impostor, rid, "expired").status_code == 404

    with Session(seeded_engine) as session:  # a step read before another one landed does not overwrite it
        stale = session.get(AccessRequest, rid)
        assert step(web, owner, rid, "under_review").status_code == 200
        assert requests._claim(session, stale, "submitted", "expired") is False
    with pytest.raises(IntegrityError), db.session_scope(seeded_engine) as session:
        first = session.get(AccessRequest, rid)
        session.add(AccessRequest(**{**first.model_dump(exclude={"id"}), "status": "submitted"}))  # type: ignore[union-attr]
        session.flush()  # the database keeps one open request per product and organization

    for to in ("approved", "agreement_signed"):
        assert step(web, owner, rid, to).status_code == 200
    odd = step(
        web,
        owner,
        rid,
        "delivered",
        delivery={"method": "file_link", "details": "x" * 10, "expires_at": "9999-12-31T23:59:59-05:00"},
    )
    assert odd.status_code == 422
    delivery = {"method": "file_link", "details": "https://files.example/secret", "expires_at": "2027-01-01"}
    assert step(web, owner, rid, "delivered", delivery=delivery).status_code == 200
    thread = web.post(
        f"/api/v1/requests/{rid}/messages", json={"body": "收到，谢谢"}, headers=requester
    ).json()
    assert "details" not in (thread["delivery"] or {})  # no answer but the delivery's own holds them
    for _ in range(2):  # reading the request, however often, leaves them retrievable
        assert web.get(f"/api/v1/requests/{rid}", headers=requester).status_code == 200
    assert (
        web.get(f"/api/v1/requests/{rid}/delivery", headers=requester).status_code == 405
    )  # a link shows none
    shown = web.post(f"/api/v1/requests/{rid}/delivery", headers=requester).json()
    assert shown["details"] == "https://files.example/secret"
    with Session(seeded_engine) as session:
        kept = session.get(AccessRequest, rid).delivery_details  # type: ignore[union-attr]
    assert kept.startswith("sealed:") and "files.example" not in kept  # sealed at rest

    with Session(seeded_engine) as session:
        provider = session.exec(select(DataProduct).where(DataProduct.slug == product)).one().provider_id
        provider_code = session.get(Organization, provider).code  # type: ignore[union-attr]
    member = bearer(seeded_engine, MEMBER)  # a plain member of the provider
    assert web.get(f"/api/v1/requests/{rid}", headers=member).status_code == 404
    with Session(seeded_engine) as session:
        plain = session.exec(select(User).where(User.email == MEMBER)).one()
        heard = session.exec(select(Notification).where(Notification.user_id == plain.id)).all()
        mailed = session.exec(select(OutboxMail).where(OutboxMail.to == MEMBER)).all()
    assert heard == [] and mailed == []  # plain members of the provider hear nothing of requests

    make_user(seeded_engine, "both@provider.cn", organization_code=provider_code, role="owner")
    both = bearer(seeded_engine, "both@provider.cn")
    with db.session_scope(seeded_engine) as session:
        org = session.exec(select(Organization).where(Organization.slug == REQUESTER)).one()
        auth.set_roles(session, SYSTEM, "both@provider.cn", organization_code=org.code, role="member")
    assert ask(web, both, product).status_code in (409, 422)  # not for a product of one's own organization

    assert web.post("/api/v1/follows", json={"product": product}, headers=requester).status_code == 200
    assert web.post("/api/v1/follows", json={"product": product}, headers=requester).status_code == 200
    with Session(seeded_engine) as session:
        assert len(session.exec(select(Follow)).all()) == 1
    assert (
        web.request("DELETE", "/api/v1/follows", json={"product": product}, headers=requester).status_code
        == 200
    )
    with Session(seeded_engine) as session:
        assert session.exec(select(Follow)).all() == []


def test_the_request_funnel_in_the_figures(web: TestClient, sides: dict, seeded_engine: Engine) -> None:
    requester, owner, other, product = sides["requester"], sides["owner"], sides["other"], sides["product"]
    approved = ask(web, requester, product).json()["id"]
    rejected = ask(web, other, product).json()["id"]
    for rid, last, extra in (
        (approved, "approved", {}),
        (rejected, "rejected", {"reason": "用途超出许可范围"}),
    ):
        assert step(web, owner, rid, "under_review").status_code == 200
        assert step(web, owner, rid, last, **extra).status_code == 200
    with Session(seeded_engine) as session:
        waiting = session.exec(
            select(DataProduct).where(DataProduct.status == "listed", DataProduct.slug != product)
        ).first()
    late = ask(web, requester, waiting.slug).json()["id"]  # type: ignore[union-attr]
    with db.session_scope(seeded_engine) as session:
        session.get(AccessRequest, late).due_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)  # type: ignore[union-attr]
    figures = web.get("/api/v1/stats").json()["requests"]
    assert figures["total"] == 3 and figures["by_status"] == {"approved": 1, "rejected": 1, "submitted": 1}
    assert figures["funnel"] == {"submitted": 3, "approved": 1, "delivered": 0, "rejected": 1}
    assert figures["rejection_rate"] == 0.5 and figures["overdue"] == 1
    assert figures["median_hours_to_first_answer"] is not None and figures["median_hours_to_first_answer"] < 1


def test_the_provider_sees_whether_the_requester_is_verified(
    web: TestClient, sides: dict, seeded_engine: Engine
) -> None:
    with db.session_scope(
        seeded_engine
    ) as session:  # the seed's organizations are verified: not this one yet
        session.exec(select(Organization).where(Organization.slug == REQUESTER)).one().verified = False
    made = ask(web, sides["requester"], sides["product"]).json()
    seen = web.get(f"/api/v1/requests/{made['id']}", headers=sides["owner"]).json()
    assert seen["requester_verified"] is False
    with db.session_scope(seeded_engine) as session:
        org = session.exec(select(Organization).where(Organization.name == seen["requester"])).one()
        org.verified = True
    again = web.get(f"/api/v1/requests/{made['id']}", headers=sides["owner"]).json()
    assert again["requester_verified"] is True


def test_overdue_is_one_rule_in_python_and_in_sql(
    web: TestClient, sides: dict, seeded_engine: Engine
) -> None:
    """The request's flag and the figures' count agree in every state, due or not."""
    rid = ask(web, sides["requester"], sides["product"]).json()["id"]
    now = dt.datetime.now(dt.UTC)
    for status in RequestStatus:
        for due in (now - dt.timedelta(hours=1), now + dt.timedelta(hours=1), None):
            with db.session_scope(seeded_engine) as session:
                row = session.get(AccessRequest, rid)
                row.status, row.due_at = status, due  # type: ignore[union-attr]
            with Session(seeded_engine) as session:
                row = session.get(AccessRequest, rid)
                mine = AccessRequest.id == rid
                counted = session.exec(
                    select(func.count()).select_from(AccessRequest).where(mine, overdue_sql(now))
                ).one()
                assert counted == is_overdue(row, now)  # type: ignore[arg-type]
                expected = status in (RequestStatus.SUBMITTED, RequestStatus.UNDER_REVIEW) and due is not None
                assert is_overdue(row, now) == (expected and due < now)  # type: ignore[arg-type, operator]


def test_the_inbox_counts_every_request_and_pages_the_list(
    web: TestClient, sides: dict, seeded_engine: Engine
) -> None:
    """Counts and the overdue figure come from the database, not from the page shown (once cut at 200)."""
    body = requests.RequestCreate(
        product_id=sides["product"],
        purpose="冷链配送线路优化",
        scenario="城市冷链配送线路规划",
        term_months=12,
        contact="王晓 13800000000",
        accept_license=True,
    )
    with db.session_scope(seeded_engine) as session:
        buyer = actor(session, BUYER)
        for _ in range(requests.LIST_PAGE + 4):  # withdrawn at once: a new one may be made
            rid = requests.create_request(session, buyer, body).id
            requests.transition(session, buyer, rid, requests.StepRequest(to="withdrawn"), secret_key="")
        oldest = rid - requests.LIST_PAGE - 3
        newest = requests.create_request(session, buyer, body).id
        session.get(AccessRequest, newest).due_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)  # type: ignore[union-attr]
    with Session(seeded_engine) as session:
        box = requests.inbox(session, buyer, "mine")
        assert box.counts == {"submitted": 1, "withdrawn": requests.LIST_PAGE + 4}
        assert box.overdue == 1 and box.total == requests.LIST_PAGE + 5 and box.pages == 2
        assert len(box.items) == requests.LIST_PAGE and box.items[0].id == newest
        last = requests.inbox(session, buyer, "mine", page=2)
        assert len(last.items) == 5 and last.items[-1].id == oldest
        withdrawn = requests.inbox(session, buyer, "mine", "withdrawn")
        assert newest not in {r.id for r in withdrawn.items} and withdrawn.total == requests.LIST_PAGE + 4
        assert withdrawn.overdue == 1  # over every state, not only the one shown
    page = web.get("/requests?page=2", headers=sides["requester"])
    assert page.status_code == 200 and 'rel="prev"' in page.text and f"/requests/{oldest}" in page.text


def test_the_request_lists_and_the_side_predicates_say_the_same_rule(
    web: TestClient, sides: dict, seeded_engine: Engine
) -> None:
    """ "My requests" and "incoming requests" (SQL) hold the requests the side predicates (Python) put
    the actor on; administrators answer any request but their incoming list is their own
    organizations' only."""
    mine = ask(web, sides["requester"], sides["product"]).json()["id"]
    with Session(seeded_engine) as session:
        other_product = session.exec(
            select(DataProduct).where(DataProduct.status == "listed", DataProduct.slug != sides["product"])
        ).first()
        assert other_product is not None
    theirs = ask(web, sides["other"], other_product.slug).json()["id"]
    with Session(seeded_engine) as session:
        people = {
            email: auth.actor_for_user(session, session.exec(select(User).where(User.email == email)).one())
            for email in (BUYER, "spy@other.cn", OWNER)
        }
        people["admin"] = replace(people[OWNER], is_admin=True)
        made = session.exec(select(AccessRequest, DataProduct).join(DataProduct)).all()
        assert {r.id for r, _ in made} >= {mine, theirs}
        for who, actor in people.items():
            listed = {
                side: {r.id for r in requests.list_requests(session, actor, side)}
                for side in ("mine", "incoming")
            }
            requester = {r.id for r, _ in made if permissions.is_requester_of(actor, r.requester_org_id)}
            provider = {r.id for r, p in made if permissions.is_provider_of(actor, p.provider_id)}
            assert listed["mine"] == requester, who
            if actor.is_admin:
                assert provider == {r.id for r, _ in made}  # answers any request …
                assert listed["incoming"] == {  # … lists its own organizations' only
                    r.id for r, p in made if p.provider_id in actor.owner_of
                }
            else:
                assert listed["incoming"] == provider, who
        assert mine in {r.id for r in requests.list_requests(session, people[OWNER], "incoming")}


def test_following_does_not_tell_whether_a_draft_of_another_organization_exists(
    web: TestClient, sides: dict, seeded_engine: Engine
) -> None:
    draft = make_product(seeded_engine, OWNER, "ye-jian-zha-tu-draft")  # the provider's, not public
    requester = sides["requester"]
    answers = {}
    for slug in (draft, "no-such-product-anywhere"):
        follow = web.post("/api/v1/follows", json={"product": slug}, headers=requester)
        unfollow = web.request("DELETE", "/api/v1/follows", json={"product": slug}, headers=requester)
        answers[slug] = (follow.status_code, unfollow.status_code, unfollow.json().get("following"))
    assert answers[draft] == answers["no-such-product-anywhere"] == (404, 200, False)
