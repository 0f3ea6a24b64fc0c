"""Two decisions on the same new version of a listed product at once (two reviewers, two server
processes): the version's status changes only if it is still the state the decision was checked
against, so one decision wins and the other answers the 409 of a wrong step, writing nothing: the new
version is applied to the product at most once, with one audit event, one notification to the owners,
one notice to each follower and one ChangeLog row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from catalog import db
from catalog.accounts.models import Organization
from catalog.audit.models import AuditEvent
from catalog.errors import InvalidTransition
from catalog.indexing.models import ChangeLog
from catalog.listings.models import Notification
from catalog.listings.workflow import CHECKLIST
from catalog.permissions import Actor
from catalog.products import revisions
from catalog.products.models import DataProduct, ProductRevision
from catalog.requests.models import Follow
from tests.factories import OWNER, actor, listed_product
from tests.functional.racing import at_once, reviewers

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"

NEW_SUMMARY = "新增冷库温湿度分钟级数据，覆盖全市十二个冷链仓储园区"
APPROVE: dict[str, Any] = {"to": "approved", "checklist": dict.fromkeys(CHECKLIST, True)}
REJECT: dict[str, Any] = {"to": "rejected", "reason": "来源未在授权运营目录中"}


def submitted_revision(engine: Engine) -> tuple[str, int]:
    """A seeded listed product, followed by another organization, with a new version in review."""
    with db.session_scope(engine) as session:
        product = listed_product(session)
        slug, product_id = product.slug, product.id
        other = session.exec(select(Organization).where(Organization.id != product.provider_id)).first()
        assert other is not None
        session.add(Follow(organization_id=other.id, product_id=product_id))  # type: ignore[arg-type]
        owner = actor(session, OWNER)
    with db.session_scope(engine) as session:
        revisions.save_revision(
            session, owner, slug, {"summary": NEW_SUMMARY, "change_summary": "增加温湿度分钟级数据"}
        )
    with db.session_scope(engine) as session:
        assert revisions.revision_transition(session, owner, slug, "submitted").status == "submitted"
    return slug, product_id  # type: ignore[return-value]


def written(engine: Engine, slug: str, product_id: int) -> dict[str, int]:
    """How many rows of each kind a decision writes there are for the product."""
    with Session(engine) as session:

        def count(model: Any, *where: Any) -> int:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

        return {
            "audit": count(AuditEvent, AuditEvent.action == "product.revision", AuditEvent.target_id == slug),
            "notifications": count(Notification, Notification.link == f"/owner/products/{slug}"),
            "follower_notices": count(Notification, Notification.link == f"/products/{slug}"),
            "changes": count(ChangeLog, ChangeLog.entity == "product", ChangeLog.entity_id == product_id),
            "approved": count(
                ProductRevision,
                ProductRevision.product_id == product_id,
                ProductRevision.status == "approved",
            ),
        }


@pytest.mark.parametrize(
    "decisions", [(APPROVE, REJECT), (REJECT, APPROVE), (APPROVE, APPROVE)], ids=["a-r", "r-a", "a-a"]
)
def test_two_decisions_on_a_new_version_at_once_one_wins(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch, decisions: tuple[dict[str, Any], ...]
) -> None:
    slug, product_id = submitted_revision(seeded_engine)
    first, second = reviewers(seeded_engine)
    with Session(seeded_engine) as session:
        listed = session.get(DataProduct, product_id)
        assert listed is not None
        listed_version, listed_summary = listed.version, listed.summary
    before = written(seeded_engine, slug, product_id)

    def decide(actor: Actor, decision: dict[str, Any]) -> Callable[[], None]:
        def take() -> None:
            with db.session_scope(seeded_engine) as session:  # a request of its own, as the web's ``call``
                revisions.revision_transition(session, actor, slug, **decision)

        return take

    steps = [decide(actor, decision) for actor, decision in zip((first, second), decisions, strict=True)]
    results = at_once(monkeypatch, revisions, "open_revision", steps)
    outcomes = dict(zip((first.label, second.label), results, strict=True))

    winners = [label for label, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1, outcomes
    winner = winners[0]
    won = dict(zip((first.label, second.label), decisions, strict=True))[winner]["to"]
    error = next(outcome for label, outcome in outcomes.items() if label != winner)
    assert isinstance(error, InvalidTransition) and error.status == 409, error
    assert f"in state {won} " in error.message and error.allowed == []  # the state it lost to: no steps
    with Session(seeded_engine) as session:
        revision = session.exec(select(ProductRevision).where(ProductRevision.product_id == product_id)).one()
        product = session.get(DataProduct, product_id)
        assert product is not None
    assert (revision.status, revision.decided_by) == (won, winner)
    approved = won == "approved"
    assert revision.version == (revisions.next_version(listed_version) if approved else "")
    assert product.status == "listed"
    assert product.version == (revision.version if approved else listed_version)
    assert product.summary == (NEW_SUMMARY if approved else listed_summary)
    after = written(seeded_engine, slug, product_id)
    assert {k: after[k] - before[k] for k in after} == {
        "audit": 1,
        "notifications": 1,
        "follower_notices": int(approved),  # one follower, told of the new version once
        "changes": int(approved),  # the winner's approval brings search up to date
        "approved": int(approved),
    }
