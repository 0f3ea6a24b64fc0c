"""The access-request services called directly on a copy of the seeded catalog: who may make a request
and move it through ``requests.workflow.STEPS``, which error class each refusal is, duplicates,
withdrawal, expiry and overdue. The HTTP doors are tested in tests/functional/requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.accounts import auth
from catalog.accounts.limits import MESSAGES_PER_HOUR
from catalog.accounts.models import Organization, OutboxMail, User
from catalog.audit.models import AuditEvent
from catalog.errors import (
    Duplicate,
    Forbidden,
    Invalid,
    InvalidTransition,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from catalog.licences.models import Licence
from catalog.listings.models import Notification
from catalog.listings.urls import request_url
from catalog.models_base import utcnow
from catalog.permissions import ANONYMOUS, SYSTEM, Actor
from catalog.products.models import DataProduct
from catalog.requests import services as requests
from catalog.requests.models import AccessRequest, RequestEvent, RequestMessage, is_overdue, overdue_sql
from catalog.requests.workflow import BEFORE_DELIVERY, RequestStatus
from catalog.workdays import working_days_later
from tests.conftest import refused
from tests.factories import (
    ADMIN,
    BUYER,
    MEMBER,
    OWNER,
    PASSWORD,
    PLAIN,
    PROVIDER,
    REQUEST,
    REQUESTER,
    actor,
    listed_product,
)

R = RequestStatus
KEY = "a secret key of these tests"  # what delivery details are sealed with


def ask(session: Session, who: Actor, product: str, **changes: Any) -> requests.RequestPublic:
    data = requests.RequestCreate.model_validate({**REQUEST, "product_id": product, **changes})
    return requests.create_request(session, who, data)


def step(session: Session, who: Actor, request_id: int, to: str, **extra: Any) -> requests.RequestPublic:
    return requests.transition(session, who, request_id, requests.StepRequest(to=to, **extra), secret_key=KEY)


def count(session: Session, model: type, *where: Any) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def org(session: Session, slug: str) -> Organization:
    return session.exec(select(Organization).where(Organization.slug == slug)).one()


def told(session: Session, email: str) -> int:
    """How many notifications the account has."""
    user = session.exec(select(User.id).where(User.email == email)).one()
    return count(session, Notification, Notification.user_id == user)


def other_listed(session: Session, *not_these: str) -> str:
    """A listed product of another provider than PROVIDER, not one of ``not_these``."""
    found = session.exec(
        select(DataProduct.slug).where(
            DataProduct.status == "listed",
            DataProduct.provider_id != org(session, PROVIDER).id,
            col(DataProduct.slug).not_in(not_these),
        )
    ).first()
    assert found is not None
    return found


def test_who_may_not_request_and_the_error_each_gets(seeded_session: Session) -> None:
    product = listed_product(seeded_session).slug
    buyer = actor(seeded_session, BUYER)
    draft = seeded_session.exec(select(DataProduct.slug).where(DataProduct.status == "draft")).first()
    publicity = seeded_session.exec(select(DataProduct.slug).where(DataProduct.status == "publicity")).first()
    assert draft and publicity

    refused(Unauthorized, ask, seeded_session, ANONYMOUS, product)
    refused(Forbidden, ask, seeded_session, actor(seeded_session, PLAIN), product)  # of no organization
    refused(Forbidden, ask, seeded_session, SYSTEM, product)  # the service itself is nobody's organization
    refused(Forbidden, ask, seeded_session, replace(buyer, can_write=False), product)  # a read token
    for slug in (draft, publicity, "no-such-product"):  # only listed products, publicity is not yet
        error = refused(Invalid, ask, seeded_session, buyer, slug)
        assert set(error.fields) == {"product_id"}, slug  # type: ignore[attr-defined]
    own = refused(
        Invalid, ask, seeded_session, actor(seeded_session, OWNER), product
    )  # PROVIDER's own product
    assert set(own.fields) == {"product_id"}  # type: ignore[attr-defined]
    not_mine = refused(Invalid, ask, seeded_session, buyer, product, organization=PROVIDER)
    assert set(not_mine.fields) == {"organization"}  # type: ignore[attr-defined]
    assert count(seeded_session, AccessRequest) == 0 and count(seeded_session, RequestEvent) == 0


def test_a_new_request_is_submitted_recorded_and_told_to_the_providers_owners_only(
    seeded_session: Session,
) -> None:
    product = listed_product(seeded_session)
    before = utcnow()
    made = requests.create_request(
        seeded_session,
        actor(seeded_session, BUYER),
        requests.RequestCreate.model_validate({**REQUEST, "product_id": product.slug}),
        answer_days=2,
    )
    licence = seeded_session.get(Licence, product.licence_id)
    assert licence is not None
    assert made.status == R.SUBMITTED and made.product_id == product.slug
    assert made.licence_version == licence.version and made.licence == licence.name
    assert made.due_at is not None and made.overdue is False
    assert working_days_later(before, 2) <= made.due_at <= working_days_later(utcnow(), 2)
    assert [(e.from_status, e.to_status) for e in made.events] == [(None, R.SUBMITTED)]
    assert made.allowed == [R.WITHDRAWN]  # the requester's one step now
    assert requests.get_request(seeded_session, actor(seeded_session, OWNER), made.id).allowed == [
        R.UNDER_REVIEW
    ]

    audit = seeded_session.exec(select(AuditEvent).where(AuditEvent.action == "request.create")).one()
    assert (audit.target_id, audit.actor_label, audit.after) == (str(made.id), BUYER, {"status": "submitted"})
    told = set(
        seeded_session.exec(select(User.email).join(Notification, col(Notification.user_id) == col(User.id)))
    )
    assert told == {OWNER}  # the provider's owners; not its plain members, not the requester
    about_requests = col(OutboxMail.subject).contains("数据使用申请")  # (the catalog's reminders aside)
    assert {m.to for m in seeded_session.exec(select(OutboxMail).where(about_requests))} == {OWNER}
    link = seeded_session.exec(select(Notification.link).where(col(Notification.user_id).is_not(None))).one()
    assert link == request_url(made.id)


def test_one_open_request_per_product_and_organization(seeded_session: Session) -> None:
    product = listed_product(seeded_session).slug
    buyer = actor(seeded_session, BUYER)
    first = ask(seeded_session, buyer, product)
    again = refused(Duplicate, ask, seeded_session, buyer, product)
    assert again.details == {"existing": request_url(first.id)}  # a link to the open one
    auth.create_user(
        seeded_session,
        SYSTEM,
        "colleague@yunfan.cn",
        PASSWORD,
        organization_code=org(seeded_session, REQUESTER).code,
    )
    refused(
        Duplicate, ask, seeded_session, actor(seeded_session, "colleague@yunfan.cn"), product
    )  # per organization, not person
    other = other_listed(seeded_session, product)
    assert ask(seeded_session, buyer, other).status == R.SUBMITTED  # another product is another request
    step(seeded_session, buyer, first.id, R.WITHDRAWN)
    assert ask(seeded_session, buyer, product).id != first.id  # no longer open: a new one may be made
    assert count(seeded_session, AccessRequest) == 3


def test_a_request_moves_step_by_step_by_the_side_whose_step_it_is(seeded_session: Session) -> None:
    buyer, owner = actor(seeded_session, BUYER), actor(seeded_session, OWNER)
    rid = ask(seeded_session, buyer, listed_product(seeded_session).slug).id

    refused(Forbidden, step, seeded_session, buyer, rid, R.UNDER_REVIEW)  # the provider's step
    refused(
        NotFound, step, seeded_session, actor(seeded_session, MEMBER), rid, R.UNDER_REVIEW
    )  # plain members do not see it
    refused(NotFound, step, seeded_session, actor(seeded_session, PLAIN), rid, R.UNDER_REVIEW)
    refused(NotFound, step, seeded_session, owner, 0, R.UNDER_REVIEW)
    refused(
        NotFound, step, seeded_session, owner, 2**40, R.UNDER_REVIEW
    )  # past any id, never sent to the database
    refused(Forbidden, step, seeded_session, replace(owner, can_write=False), rid, R.UNDER_REVIEW)
    refused(Forbidden, step, seeded_session, buyer, rid, R.EXPIRED)  # the timer's step, not a person's
    jump = refused(InvalidTransition, step, seeded_session, owner, rid, R.DELIVERED)
    assert jump.allowed == [R.UNDER_REVIEW]  # type: ignore[attr-defined]
    assert refused(InvalidTransition, step, seeded_session, owner, rid, "paused").allowed == [R.UNDER_REVIEW]  # type: ignore[attr-defined]

    assert step(seeded_session, owner, rid, R.UNDER_REVIEW).status == R.UNDER_REVIEW
    no_question = refused(Invalid, step, seeded_session, owner, rid, R.MORE_INFO_NEEDED, reason="  ")
    assert set(no_question.fields) == {"reason"}  # type: ignore[attr-defined]
    asked = step(seeded_session, owner, rid, R.MORE_INFO_NEEDED, reason="请说明车辆规模")
    assert asked.allowed == [] and asked.due_at is not None
    assert requests.get_request(seeded_session, buyer, rid).allowed == [R.SUBMITTED, R.WITHDRAWN]
    refused(Forbidden, step, seeded_session, owner, rid, R.SUBMITTED)  # answering is the requester's step
    row = seeded_session.get(AccessRequest, rid)
    assert row is not None
    row.due_at = utcnow() - dt.timedelta(days=30)
    again = step(seeded_session, buyer, rid, R.SUBMITTED)
    assert again.due_at is not None and again.due_at > utcnow() and not again.overdue  # a new answer is due

    admin = actor(seeded_session, ADMIN)  # of no organization: administrators answer any request
    for to in (R.UNDER_REVIEW, R.APPROVED, R.AGREEMENT_SIGNED):
        assert step(seeded_session, admin, rid, to).status == to
    no_delivery = refused(Invalid, step, seeded_session, owner, rid, R.DELIVERED)
    assert set(no_delivery.fields) == {"delivery"}  # type: ignore[attr-defined]
    delivery = requests.Delivery(method="sandbox_account", details="user=yunfan pw=s3cret")
    delivered = step(seeded_session, owner, rid, R.DELIVERED, delivery=delivery)
    assert delivered.delivery == {"method": "sandbox_account", "expires_at": None, "details_for_you": False}
    late = refused(InvalidTransition, step, seeded_session, buyer, rid, R.WITHDRAWN)  # too late to withdraw
    assert late.allowed == [R.CLOSED]  # type: ignore[attr-defined]
    closed = step(seeded_session, buyer, rid, R.CLOSED)  # either side closes
    assert closed.allowed == [] and requests.get_request(seeded_session, owner, rid).allowed == []

    path = [(e.from_status, e.to_status) for e in closed.events]
    assert [to for _, to in path] == [
        R.SUBMITTED,
        R.UNDER_REVIEW,
        R.MORE_INFO_NEEDED,
        R.SUBMITTED,
        R.UNDER_REVIEW,
        R.APPROVED,
        R.AGREEMENT_SIGNED,
        R.DELIVERED,
        R.CLOSED,
    ]
    assert closed.events[2].reason == "请说明车辆规模"
    audited = seeded_session.exec(
        select(AuditEvent).where(AuditEvent.action == "request.transition").order_by(col(AuditEvent.id))
    ).all()
    assert [(a.before, a.after) for a in audited] == [
        ({"status": before}, {"status": after}) for before, after in path[1:]
    ]
    assert [a.actor_label for a in audited][3:6] == [ADMIN] * 3


def test_withdrawal_before_delivery_only_by_the_requester_and_then_nothing_moves(
    seeded_session: Session,
) -> None:
    buyer, owner = actor(seeded_session, BUYER), actor(seeded_session, OWNER)
    product = listed_product(seeded_session).slug
    for state in BEFORE_DELIVERY:
        rid = ask(seeded_session, buyer, product).id
        row = seeded_session.get(AccessRequest, rid)
        assert row is not None
        row.status = state  # wherever it stands before delivery
        seeded_session.flush()
        refused(Forbidden, step, seeded_session, owner, rid, R.WITHDRAWN)  # the provider does not withdraw it
        withdrawn = step(seeded_session, buyer, rid, R.WITHDRAWN)
        assert withdrawn.status == R.WITHDRAWN and withdrawn.allowed == []
        assert withdrawn.events[-1].from_status == state
        for who, to in (
            (owner, R.APPROVED),
            (owner, R.UNDER_REVIEW),
            (buyer, R.WITHDRAWN),
            (buyer, R.SUBMITTED),
        ):
            assert refused(InvalidTransition, step, seeded_session, who, rid, to).allowed == []  # type: ignore[attr-defined]
    assert count(seeded_session, AccessRequest, AccessRequest.status == R.WITHDRAWN) == len(BEFORE_DELIVERY)


def test_an_owner_on_both_sides_may_withdraw_but_not_answer(seeded_session: Session) -> None:
    email = "both@provider.cn"
    auth.create_user(
        seeded_session,
        SYSTEM,
        email,
        PASSWORD,
        organization_code=org(seeded_session, PROVIDER).code,
        role="owner",
    )
    auth.set_roles(
        seeded_session, SYSTEM, email, organization_code=org(seeded_session, REQUESTER).code, role="member"
    )
    both = actor(seeded_session, "both@provider.cn")
    rid = ask(seeded_session, actor(seeded_session, BUYER), listed_product(seeded_session).slug).id
    seen = requests.get_request(seeded_session, both, rid)
    assert seen.allowed == [R.UNDER_REVIEW, R.WITHDRAWN]  # the table offers both sides' steps …
    error = refused(Forbidden, step, seeded_session, both, rid, R.UNDER_REVIEW)  # … but another owner answers
    assert "both sides" in error.message
    assert step(seeded_session, both, rid, R.WITHDRAWN).status == R.WITHDRAWN


def test_expiry_moves_only_undecided_requests_past_their_term(seeded_session: Session) -> None:
    buyer, admin = actor(seeded_session, BUYER), actor(seeded_session, ADMIN)
    slugs = [listed_product(seeded_session).slug]
    for _ in range(3):
        slugs.append(other_listed(seeded_session, *slugs))
    ids = [ask(seeded_session, buyer, slug).id for slug in slugs]
    step(seeded_session, admin, ids[1], R.UNDER_REVIEW)
    for to in (R.UNDER_REVIEW, R.APPROVED):
        step(seeded_session, admin, ids[2], to)
    step(seeded_session, buyer, ids[3], R.WITHDRAWN)
    later = utcnow() + dt.timedelta(days=31)
    assert requests.expire_undecided(seeded_session, 30) == 0  # none is 30 days old yet
    heard = {email: told(seeded_session, email) for email in (BUYER, OWNER)}
    assert requests.expire_undecided(seeded_session, 30, now=later) == 2
    status = {r.id: r.status for r in seeded_session.exec(select(AccessRequest))}
    assert [status[i] for i in ids] == [R.EXPIRED, R.EXPIRED, R.APPROVED, R.WITHDRAWN]
    event = seeded_session.exec(select(RequestEvent).where(RequestEvent.to_status == R.EXPIRED)).first()
    assert event is not None and event.actor_user_id is None and event.reason == "undecided after 30 days"
    assert count(seeded_session, AuditEvent, AuditEvent.actor_label == "system:expiry") == 2
    # both sides hear of it: the requester's members of both, the provider's owners (PROVIDER's: ids[0])
    assert told(seeded_session, BUYER) - heard[BUYER] == 2 and told(seeded_session, OWNER) - heard[OWNER] == 1
    assert requests.expire_undecided(seeded_session, 30, now=later) == 0  # done once
    assert requests.get_request(seeded_session, buyer, ids[0]).allowed == []


@pytest.mark.both_backends  # the database compares the due dates in SQL
def test_overdue_in_a_request_its_inbox_and_sql_agree_at_every_moment(seeded_session: Session) -> None:
    buyer, owner = actor(seeded_session, BUYER), actor(seeded_session, OWNER)
    rid = ask(seeded_session, buyer, listed_product(seeded_session).slug).id
    now = utcnow()
    for status in (R.SUBMITTED, R.UNDER_REVIEW, R.MORE_INFO_NEEDED, R.APPROVED):
        for due in (now - dt.timedelta(microseconds=1), now, now + dt.timedelta(microseconds=1), None):
            row = seeded_session.get(AccessRequest, rid)
            assert row is not None
            row.status, row.due_at = status, due
            seeded_session.flush()
            seeded_session.expire(row)
            row = seeded_session.get(AccessRequest, rid)
            assert row is not None
            expected = status in (R.SUBMITTED, R.UNDER_REVIEW) and due is not None and due < now
            in_sql = count(seeded_session, AccessRequest, AccessRequest.id == rid, overdue_sql(now))
            assert (is_overdue(row, now), bool(in_sql)) == (expected, expected), (status, due)
    row = seeded_session.get(AccessRequest, rid)
    assert row is not None
    row.status, row.due_at = R.UNDER_REVIEW, utcnow() - dt.timedelta(minutes=1)
    seeded_session.flush()
    assert requests.get_request(seeded_session, owner, rid).overdue is True
    assert requests.inbox(seeded_session, owner, "incoming").overdue == 1
    assert requests.inbox(seeded_session, buyer, "mine").overdue == 1
    assert (
        requests.inbox(seeded_session, actor(seeded_session, MEMBER), "incoming").overdue == 0
    )  # not a side of it


def test_delivery_details_are_sealed_and_shown_to_the_requester_on_asking_until_the_access_ends(
    seeded_session: Session,
) -> None:
    buyer, owner = actor(seeded_session, BUYER), actor(seeded_session, OWNER)
    rid = ask(seeded_session, buyer, listed_product(seeded_session).slug).id
    for to in (R.UNDER_REVIEW, R.APPROVED, R.AGREEMENT_SIGNED):
        step(seeded_session, owner, rid, to)
    until = utcnow() + dt.timedelta(days=30)
    delivery = requests.Delivery(method="api_credential", details="app_key=yunfan-7f3a", expires_at=until)
    step(seeded_session, owner, rid, R.DELIVERED, delivery=delivery)
    row = seeded_session.get(AccessRequest, rid)
    assert row is not None and "yunfan-7f3a" not in row.delivery_details  # sealed at rest

    for _ in range(2):
        assert requests.delivery_details(seeded_session, buyer, rid, KEY) == "app_key=yunfan-7f3a"
    shown = seeded_session.exec(select(AuditEvent).where(AuditEvent.action == "request.delivery_view")).all()
    assert len(shown) == 2 and row.delivery_seen_at is not None  # each time recorded
    refused(Forbidden, requests.delivery_details, seeded_session, owner, rid, KEY)  # the provider's side
    refused(NotFound, requests.delivery_details, seeded_session, actor(seeded_session, PLAIN), rid, KEY)
    refused(Forbidden, requests.delivery_details, seeded_session, replace(buyer, can_write=False), rid, KEY)
    refused(Invalid, requests.delivery_details, seeded_session, buyer, rid, "another service's key")

    row.delivery_details = "app_key=written-before-sealing"  # a row from before sealing existed
    assert requests.delivery_details(seeded_session, buyer, rid, KEY) == "app_key=written-before-sealing"
    assert "written-before-sealing" not in row.delivery_details  # sealed once read

    row.delivery_expires_at = utcnow() - dt.timedelta(minutes=1)  # the access has ended
    refused(Forbidden, requests.delivery_details, seeded_session, buyer, rid, KEY)
    assert requests.get_request(seeded_session, buyer, rid).delivery == {
        "method": "api_credential",
        "expires_at": row.delivery_expires_at,
        "details_for_you": False,
    }


def test_an_account_writes_at_most_so_many_messages_an_hour(seeded_session: Session) -> None:
    buyer, owner = actor(seeded_session, BUYER), actor(seeded_session, OWNER)
    rid = ask(seeded_session, buyer, listed_product(seeded_session).slug).id
    now = utcnow()
    seeded_session.add_all(
        RequestMessage(request_id=rid, author_user_id=buyer.user_id, body="早先的留言", at=at)  # type: ignore[arg-type]
        for at in [now - dt.timedelta(minutes=5)] * (MESSAGES_PER_HOUR - 1) + [now - dt.timedelta(hours=2)]
    )
    seeded_session.flush()
    requests.post_message(seeded_session, buyer, rid, requests.MessageCreate(body="最后一条"))  # the limit's
    refused(
        TooManyRequests,
        requests.post_message,
        seeded_session,
        buyer,
        rid,
        requests.MessageCreate(body="再一条"),
    )
    kept = seeded_session.exec(select(func.count()).select_from(RequestMessage)).one()
    assert kept == MESSAGES_PER_HOUR + 1  # the one from two hours ago counts no more
    requests.post_message(
        seeded_session, owner, rid, requests.MessageCreate(body="提供方的回复")
    )  # per account
