"""The listing services called directly on a copy of the seeded catalog: every step of
``listings.workflow.TRANSITIONS`` and who may take it, the error class of each refusal, objections
during publicity, the owners' workspace and the reviewers' queue, and what each step leaves behind
(timeline, audit event, notification, ChangeLog row). The HTTP doors are tested in
tests/functional/listings."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.accounts import auth
from catalog.accounts.limits import OBJECTIONS_PER_HOUR
from catalog.accounts.models import Organization, User
from catalog.audit.models import AuditEvent
from catalog.datasets.models import Dataset
from catalog.errors import (
    ChecklistIncomplete,
    Forbidden,
    Invalid,
    InvalidTransition,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from catalog.indexing.models import ChangeLog
from catalog.listings import services as listings
from catalog.listings.models import ListingEvent, Notification, Objection
from catalog.listings.states import ListingStatus
from catalog.listings.workflow import CHECKLIST
from catalog.models_base import utcnow
from catalog.permissions import ANONYMOUS, SYSTEM, Actor
from catalog.products import services as products
from catalog.products.models import DataProduct, ProductCreate
from catalog.settings import Settings
from catalog.workdays import BEIJING, end_of_working_days
from tests.conftest import refused
from tests.factories import ADMIN, BUYER, MEMBER, OWNER, PASSWORD, PLAIN, REVIEWER, actor, product_body

S = ListingStatus
SLUG = "huaian-cold-chain-trace-index"
ALL_CHECKED = dict.fromkeys(CHECKLIST, True)


def draft(session: Session) -> str:
    """A new draft product of PROVIDER, made by its owner through the products service."""
    data = ProductCreate.model_validate(product_body(session, SLUG, title="淮安冷链物流溯源指数"))
    return products.create_draft(session, actor(session, OWNER), data)[0].id


def move(
    session: Session,
    settings: Settings,
    who: Actor,
    to: str,
    key: str = SLUG,
    kind: str = "product",
    **extra: Any,
) -> list[listings.TimelineEntry]:
    request = listings.TransitionRequest(to=to, **extra)
    return listings.transition(session, settings, who, kind, key, request)


def status(session: Session, key: str = SLUG) -> str:
    return session.exec(select(DataProduct.status).where(DataProduct.slug == key)).one()


def test_each_refusal_of_a_step_has_its_error_class(
    seeded_session: Session, seeded_settings: Settings
) -> None:
    draft(seeded_session)
    owner, reviewer = actor(seeded_session, OWNER), actor(seeded_session, REVIEWER)
    go = seeded_settings
    refused(Unauthorized, move, seeded_session, go, ANONYMOUS, S.SUBMITTED)
    refused(Forbidden, move, seeded_session, go, replace(owner, can_write=False), S.SUBMITTED)  # a read token
    refused(
        Forbidden, move, seeded_session, go, actor(seeded_session, MEMBER), S.SUBMITTED
    )  # members see it, owners list
    refused(
        NotFound, move, seeded_session, go, actor(seeded_session, PLAIN), S.SUBMITTED
    )  # a draft is not theirs to see
    refused(NotFound, move, seeded_session, go, owner, S.SUBMITTED, key="no-such-product")
    refused(Forbidden, move, seeded_session, go, reviewer, S.SUBMITTED)  # the owner's step
    jump = refused(
        InvalidTransition, move, seeded_session, go, owner, S.PUBLICITY
    )  # no such step from a draft
    assert jump.allowed == [S.SUBMITTED]  # type: ignore[attr-defined]
    assert refused(InvalidTransition, move, seeded_session, go, reviewer, S.LISTED).allowed == []  # type: ignore[attr-defined]
    assert (
        status(seeded_session) == S.DRAFT
        and listings.timeline(seeded_session, "product", _id(seeded_session), SYSTEM) == []
    )

    move(seeded_session, go, owner, S.SUBMITTED)
    refused(Forbidden, move, seeded_session, go, owner, S.IN_REVIEW)  # the reviewer's step
    move(seeded_session, go, reviewer, S.IN_REVIEW)
    for to in (S.REJECTED, S.CHANGES_REQUESTED):
        error = refused(Invalid, move, seeded_session, go, reviewer, to, reason=" ")
        assert set(error.fields) == {"reason"}  # type: ignore[attr-defined]
    partial = refused(
        ChecklistIncomplete,
        move,
        seeded_session,
        go,
        reviewer,
        S.PUBLICITY,
        checklist={"not_core_data": True},
    )
    assert set(partial.fields) == set(CHECKLIST) - {"not_core_data"}  # type: ignore[attr-defined]
    unchecked = {**ALL_CHECKED, "source_authorized": False}  # ticked false is not ticked
    refused(ChecklistIncomplete, move, seeded_session, go, reviewer, S.PUBLICITY, checklist=unchecked)
    listed_by_a_person = refused(
        InvalidTransition, move, seeded_session, go, actor(seeded_session, ADMIN), S.LISTED
    )
    assert S.LISTED not in listed_by_a_person.allowed  # type: ignore[attr-defined]  # the timer's step only
    assert status(seeded_session) == S.IN_REVIEW
    assert (
        seeded_session.exec(select(func.count()).select_from(ListingEvent)).one() == 2
    )  # refusals write nothing


def _id(session: Session, key: str = SLUG) -> int:
    found = session.exec(select(DataProduct.id).where(DataProduct.slug == key)).one()
    assert found is not None
    return found


def test_the_side_paths_of_the_table_withdraw_rework_and_relist(
    seeded_session: Session, seeded_settings: Settings
) -> None:
    draft(seeded_session)
    owner, reviewer = actor(seeded_session, OWNER), actor(seeded_session, REVIEWER)
    now = replace(seeded_settings, publicity_days=0)  # listed on approval
    product = seeded_session.exec(select(DataProduct).where(DataProduct.slug == SLUG)).one()

    assert [t.target for t in listings.available(owner, product)] == [S.SUBMITTED]
    move(seeded_session, now, owner, S.SUBMITTED)
    assert product.submitted_at is not None
    assert [t.target for t in listings.available(owner, product)] == [S.DRAFT]  # withdraw
    assert [t.target for t in listings.available(reviewer, product)] == [S.IN_REVIEW]
    move(seeded_session, now, owner, S.DRAFT)
    for who, to, extra in (
        (owner, S.SUBMITTED, {}),
        (reviewer, S.IN_REVIEW, {}),
        (reviewer, S.REJECTED, {"reason": "数据来源不明"}),
        (owner, S.DRAFT, {}),  # rework a rejected listing as a draft
        (owner, S.SUBMITTED, {}),
        (reviewer, S.IN_REVIEW, {}),
    ):
        move(seeded_session, now, who, to, **extra)
    assert [t.target for t in listings.available(reviewer, product)] == [
        S.CHANGES_REQUESTED,
        S.REJECTED,
        S.PUBLICITY,
    ]
    timeline = move(seeded_session, now, actor(seeded_session, ADMIN), S.PUBLICITY, checklist=ALL_CHECKED)
    assert [(e.from_status, e.to_status, e.actor) for e in timeline[-2:]] == [
        (S.IN_REVIEW, S.PUBLICITY, ADMIN),
        (S.PUBLICITY, S.LISTED, "system:publicity"),
    ]
    for viewer, shown in ((owner, ""), (reviewer, ADMIN)):  # the port's staff are named to the staff only
        seen = listings.overview(seeded_session, viewer, "product", SLUG).timeline
        approved = next(e for e in seen if e.to_status == S.PUBLICITY)
        assert approved.actor == shown and approved.by_reviewers
        assert all(e.actor == OWNER for e in seen if e.to_status == S.SUBMITTED)
        assert not any(e.by_reviewers for e in seen if e.to_status == S.SUBMITTED)
    staff = seeded_session.exec(select(User).where(User.email == ADMIN)).one()
    staff.is_admin = False  # who made a step as staff stays unnamed to providers after leaving the role
    seeded_session.flush()
    seen = listings.overview(seeded_session, owner, "product", SLUG).timeline
    assert next(e for e in seen if e.to_status == S.PUBLICITY).actor == ""
    number = product.listing_no
    assert product.status == S.LISTED and number is not None and product.listed_at is not None
    assert [t.target for t in listings.available(owner, product)] == [S.DELISTED]
    assert listings.available(reviewer, product) == []

    move(seeded_session, now, owner, S.DELISTED, reason="数据源停止更新")
    move(seeded_session, now, owner, S.SUBMITTED)  # submitted to list again, reviewed again
    move(seeded_session, now, reviewer, S.IN_REVIEW)
    move(seeded_session, now, reviewer, S.PUBLICITY, checklist=ALL_CHECKED)
    assert product.status == S.LISTED and product.listing_no == number  # its registration code, once ever

    approval = seeded_session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "product.transition", AuditEvent.target_id == SLUG)
        .where(col(AuditEvent.summary).startswith("in_review → publicity"))
    ).first()
    assert approval is not None and approval.after == {"status": "publicity", "checklist": ALL_CHECKED}
    events = seeded_session.exec(select(ListingEvent).where(ListingEvent.item_id == product.id)).all()
    assert [e.checklist for e in events if e.to_status == S.PUBLICITY] == [ALL_CHECKED, ALL_CHECKED]
    told = seeded_session.exec(
        select(Notification.text).where(Notification.organization_id == product.provider_id)
    ).all()
    assert any("rejected (数据来源不明)" in text for text in told)
    assert len(told) == len(events)  # the organization hears of every step


def test_a_step_is_written_to_the_change_log_when_it_commits(
    seeded_session: Session, seeded_settings: Settings
) -> None:
    draft(seeded_session)
    seeded_session.commit()
    last = seeded_session.exec(select(func.max(ChangeLog.seq))).one() or 0
    move(seeded_session, seeded_settings, actor(seeded_session, OWNER), S.SUBMITTED)
    assert (
        seeded_session.exec(select(ChangeLog).where(col(ChangeLog.seq) > last)).all() == []
    )  # not before the commit
    seeded_session.commit()
    logged = seeded_session.exec(select(ChangeLog).where(col(ChangeLog.seq) > last)).all()
    assert [(c.entity, c.entity_id) for c in logged] == [("product", _id(seeded_session))]
    with pytest.raises(Forbidden):  # a refused step rolled back leaves nothing to index
        move(seeded_session, seeded_settings, actor(seeded_session, MEMBER), S.DRAFT)
    seeded_session.rollback()
    seeded_session.commit()
    assert seeded_session.exec(select(func.max(ChangeLog.seq))).one() == logged[-1].seq


def test_a_dataset_moves_through_the_same_table_by_its_code(
    seeded_session: Session, seeded_settings: Settings
) -> None:
    dataset = seeded_session.exec(
        select(Dataset).where(Dataset.status == S.DRAFT, Dataset.security_grade != "core")
    ).first()
    assert dataset is not None
    department = seeded_session.get(Organization, dataset.provider_id)
    assert department is not None
    auth.create_user(
        seeded_session, SYSTEM, "data@dept.cn", PASSWORD, organization_code=department.code, role="owner"
    )
    dept, reviewer = actor(seeded_session, "data@dept.cn"), actor(seeded_session, REVIEWER)
    # another organization's owner does not see the draft; a reviewer sees it but does not submit it
    refused(
        NotFound,
        move,
        seeded_session,
        seeded_settings,
        actor(seeded_session, OWNER),
        S.SUBMITTED,
        dataset.code,
        "dataset",
    )
    refused(Forbidden, move, seeded_session, seeded_settings, reviewer, S.SUBMITTED, dataset.code, "dataset")
    for who, to, extra in (
        (dept, S.SUBMITTED, {}),
        (reviewer, S.IN_REVIEW, {}),
        (reviewer, S.PUBLICITY, {"checklist": ALL_CHECKED}),
    ):
        move(seeded_session, seeded_settings, who, to, dataset.code, "dataset", **extra)
    assert dataset.publicity_ends_at is not None
    ends = dataset.publicity_ends_at
    # the end of the tenth working day after approval, at midnight in Beijing
    days = seeded_settings.publicity_days
    minute_ago = utcnow() - dt.timedelta(minutes=1)
    assert ends in {end_of_working_days(minute_ago, days), end_of_working_days(utcnow(), days)}
    assert (ends.astimezone(BEIJING).hour, ends.astimezone(BEIJING).minute) == (0, 0)
    assert listings.promote_due(seeded_session) == 0  # the period is not over
    assert listings.promote_due(seeded_session, now=ends + dt.timedelta(seconds=1)) >= 1
    assert dataset.status == S.LISTED
    audited = seeded_session.exec(select(AuditEvent.action).where(AuditEvent.target_id == dataset.code)).all()
    # listing registered it (赋码): a code valid three years
    assert audited == ["dataset.transition"] * 3 + ["registration.first", "dataset.transition"]
    assert dataset.registration_code is not None and dataset.registration_code.startswith("HADP-DJ-")


def _publicity_product(session: Session) -> DataProduct:
    """A product of another provider than PROVIDER, in its publicity period (the seed has some)."""
    found = session.exec(
        select(DataProduct).where(DataProduct.status == S.PUBLICITY).order_by(col(DataProduct.id))
    ).first()
    assert found is not None
    return found


def test_objections_who_files_who_sees_who_answers(
    seeded_session: Session, seeded_settings: Settings
) -> None:
    item = _publicity_product(seeded_session)
    provider = seeded_session.get(Organization, item.provider_id)
    assert provider is not None
    auth.create_user(
        seeded_session, SYSTEM, "boss@item.cn", PASSWORD, organization_code=provider.code, role="owner"
    )
    auth.create_user(
        seeded_session, SYSTEM, "both@item.cn", PASSWORD, reviewer=True, organization_code=provider.code
    )
    buyer, reviewer, boss = (
        actor(seeded_session, BUYER),
        actor(seeded_session, REVIEWER),
        actor(seeded_session, "boss@item.cn"),
    )
    reason = listings.ObjectionCreate(reason="该产品使用了我单位未授权的冷库温控数据")

    def file(who: Actor, key: str = item.slug) -> listings.ObjectionPublic:
        return listings.file_objection(seeded_session, who, "product", key, reason)

    refused(Unauthorized, file, ANONYMOUS)
    refused(Forbidden, file, replace(buyer, can_write=False))
    refused(Forbidden, file, actor(seeded_session, PLAIN))  # on behalf of no organization
    listed = seeded_session.exec(select(DataProduct.slug).where(DataProduct.status == S.LISTED)).first()
    assert listed is not None
    assert refused(InvalidTransition, file, buyer, listed).allowed == []  # type: ignore[attr-defined]
    filed = file(buyer)
    other = file(actor(seeded_session, OWNER))  # any organization may object, PROVIDER's owner too
    assert filed.status == "open" and filed.organization and filed.answer == ""
    assert seeded_session.exec(select(AuditEvent).where(AuditEvent.action == "objection.file")).all()
    note = seeded_session.exec(
        select(Notification).where(Notification.organization_id == item.provider_id)
    ).all()
    assert any("objection" in n.text for n in note)

    def seen(who: Actor) -> list[int]:
        return [o.id for o in listings.objections(seeded_session, who, "product", item.slug)]

    assert seen(buyer) == [filed.id] and seen(actor(seeded_session, OWNER)) == [other.id]  # their own only
    assert seen(boss) == seen(reviewer) == [filed.id, other.id]  # the item's owners and reviewers: all
    assert seen(actor(seeded_session, PLAIN)) == []

    def answer(who: Actor, objection_id: int, uphold: bool = False) -> listings.ObjectionPublic:
        data = listings.ObjectionAnswer(uphold=uphold, answer="经核查，数据来源已获授权")
        return listings.answer_objection(seeded_session, seeded_settings, who, objection_id, data)

    refused(Forbidden, answer, boss, filed.id)  # owners do not judge objections to their own item
    refused(
        Forbidden, answer, actor(seeded_session, "both@item.cn"), filed.id
    )  # nor do their organization's reviewers
    refused(NotFound, answer, reviewer, 0)
    refused(NotFound, answer, reviewer, 2**40)
    refused(Forbidden, answer, replace(reviewer, can_write=False), filed.id)
    dismissed = answer(reviewer, filed.id)
    assert (dismissed.status, dismissed.answered_at is not None) == ("dismissed", True)
    assert refused(InvalidTransition, answer, reviewer, filed.id, True).allowed == []  # type: ignore[attr-defined]
    assert seeded_session.get(Objection, filed.id).answered_by == REVIEWER  # type: ignore[union-attr]
    later = utcnow() + dt.timedelta(days=seeded_settings.publicity_days + 1)
    item.publicity_ends_at = utcnow()
    seeded_session.flush()
    listings.promote_due(seeded_session, now=later)
    assert item.status == S.PUBLICITY  # the other objection, still open, holds it
    upheld = answer(reviewer, other.id, uphold=True)
    assert upheld.status == "upheld" and item.status == S.CHANGES_REQUESTED
    last = listings.timeline(seeded_session, "product", item.id, SYSTEM)[-1]  # type: ignore[arg-type]
    assert (last.from_status, last.to_status, last.actor) == (S.PUBLICITY, S.CHANGES_REQUESTED, REVIEWER)
    assert last.reason == "objection upheld: 经核查，数据来源已获授权"
    actions = seeded_session.exec(select(AuditEvent.action).where(AuditEvent.target_id == item.slug)).all()
    assert actions[-3:] == ["objection.dismissed", "objection.upheld", "product.transition"]


def test_an_objection_upheld_after_the_item_moved_on_moves_nothing(
    seeded_session: Session, seeded_settings: Settings
) -> None:
    item = _publicity_product(seeded_session)
    filed = listings.file_objection(
        seeded_session,
        actor(seeded_session, BUYER),
        "product",
        item.slug,
        listings.ObjectionCreate(reason="覆盖范围与实际不符，缺少县区数据"),
    )
    reviewer = actor(seeded_session, REVIEWER)
    move(seeded_session, seeded_settings, reviewer, S.CHANGES_REQUESTED, item.slug, reason="撤出公示核查")
    events = len(listings.timeline(seeded_session, "product", item.id, SYSTEM))  # type: ignore[arg-type]
    answer = listings.ObjectionAnswer(uphold=True, answer="已撤出公示")
    assert (
        listings.answer_objection(seeded_session, seeded_settings, reviewer, filed.id, answer).status
        == "upheld"
    )
    assert (
        item.status == S.CHANGES_REQUESTED
        and len(listings.timeline(seeded_session, "product", item.id, SYSTEM)) == events
    )  # type: ignore[arg-type]


def test_the_workspace_the_review_queue_and_an_items_overview(seeded_session: Session) -> None:
    owner, member, reviewer = (
        actor(seeded_session, OWNER),
        actor(seeded_session, MEMBER),
        actor(seeded_session, REVIEWER),
    )
    refused(NotFound, listings.workspace, seeded_session, ANONYMOUS)
    mine = listings.workspace(seeded_session, member)
    provider = next(iter(owner.owner_of))
    expected = dict(
        seeded_session.exec(
            select(DataProduct.status, func.count())
            .where(DataProduct.provider_id == provider)
            .group_by(col(DataProduct.status))
        ).all()
    )
    assert mine.counts == expected and len(mine.items) == sum(expected.values())
    assert (
        mine.can_list is False and listings.workspace(seeded_session, owner).can_list is True
    )  # owners list
    assert [o[2] for o in mine.organizations] == ["member"]
    delisted = listings.workspace(seeded_session, owner, S.DELISTED)
    assert {i.status for i in delisted.items} == {S.DELISTED} and len(delisted.items) == expected[S.DELISTED]

    refused(Forbidden, listings.review_queue, seeded_session, owner)
    queue = listings.review_queue(seeded_session, reviewer)
    waiting = {S.SUBMITTED, S.IN_REVIEW}
    for kind, model in listings.MODELS.items():
        keys = {line.key for line in queue if line.kind == kind}
        count = seeded_session.exec(
            select(func.count()).select_from(model).where(col(model.status).in_(waiting))
        ).one()
        assert len(keys) == count > 0, kind
    moments = [line.submitted_at or line.updated_at for line in queue]
    assert moments == sorted(moments)  # longest waiting first

    listed = seeded_session.exec(
        select(DataProduct).where(DataProduct.provider_id == provider, DataProduct.status == S.LISTED)
    ).first()
    assert listed is not None
    seen = listings.overview(seeded_session, owner, "product", listed.slug)
    assert [s["to"] for s in seen.steps] == [S.DELISTED] and seen.steps[0]["needs_reason"] is True
    assert seen.editable is True  # a listed product is edited as a new version
    as_member = listings.overview(seeded_session, member, "product", listed.slug)
    assert as_member.steps == [] and as_member.editable is False
    assert listings.overview(seeded_session, reviewer, "product", listed.slug).steps == []
    refused(
        NotFound, listings.overview, seeded_session, actor(seeded_session, PLAIN), "product", listed.slug
    )  # public, not theirs


def test_an_account_files_at_most_so_many_objections_an_hour(seeded_session: Session) -> None:
    item = _publicity_product(seeded_session)
    buyer = actor(seeded_session, BUYER)
    requester = seeded_session.get(Organization, min(buyer.organizations))
    assert requester is not None
    auth.create_user(seeded_session, SYSTEM, "second@yunfan.cn", PASSWORD, organization_code=requester.code)
    earlier = utcnow() - dt.timedelta(minutes=10)
    seeded_session.add_all(
        Objection(
            kind="product",
            item_id=item.id,
            organization_id=min(buyer.organizations),
            user_id=buyer.user_id,
            reason="早先的异议",
            status="dismissed",
            created_at=earlier,
        )
        for _ in range(OBJECTIONS_PER_HOUR)
    )
    seeded_session.flush()
    reason = listings.ObjectionCreate(reason="该产品使用了我单位未授权的冷库温控数据")
    filed = seeded_session.exec(select(func.count()).select_from(Objection)).one()
    refused(TooManyRequests, listings.file_objection, seeded_session, buyer, "product", item.slug, reason)
    assert seeded_session.exec(select(func.count()).select_from(Objection)).one() == filed  # nothing kept
    other = actor(seeded_session, "second@yunfan.cn")
    listings.file_objection(seeded_session, other, "product", item.slug, reason)  # another account may
