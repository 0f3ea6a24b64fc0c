"""Two steps of the same listing at once (two reviewers, two server processes): the status changes only
if it is still the state the step was checked against, so one step wins and the other answers the 409
of a wrong step, writing nothing: no timeline or audit event, no notification, no ChangeLog row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from catalog import db
from catalog.audit.models import AuditEvent
from catalog.datasets.models import Dataset
from catalog.errors import InvalidTransition
from catalog.indexing.models import ChangeLog
from catalog.listings import services as listings
from catalog.listings.models import ListingEvent, Notification, Objection
from catalog.listings.urls import dataset_url, product_url
from catalog.listings.workflow import CHECKLIST
from catalog.permissions import Actor
from catalog.products.models import DataProduct
from catalog.settings import Settings
from tests.conftest import make_settings
from tests.factories import BUYER, actor
from tests.functional.racing import at_once, reviewers

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"

APPROVE = listings.TransitionRequest(to="publicity", checklist=dict.fromkeys(CHECKLIST, True))
REJECT = listings.TransitionRequest(to="rejected", reason="来源未在授权运营目录中")


def in_review(engine: Engine, kind: str) -> tuple[str, int]:
    """A seeded product (never listed: no listing number yet) or dataset, put in review."""
    model = listings.MODELS[kind]
    with db.session_scope(engine) as session:
        item = session.exec(select(model).order_by(model.id)).first()  # type: ignore[arg-type]
        assert item is not None
        values: dict[str, Any] = {"status": "in_review"}
        if kind == "product":
            values["listing_no"] = None
        session.execute(update(model).where(model.id == item.id).values(**values))  # type: ignore[arg-type]
        key = item.slug if isinstance(item, DataProduct) else item.code
        return key, item.id  # type: ignore[return-value]


def written(engine: Engine, kind: str, key: str, item_id: int) -> dict[str, int]:
    """How many rows of each kind a step writes there are for the item."""
    url = product_url(key) if kind == "product" else dataset_url(key)
    with Session(engine) as session:

        def count(model: Any, *where: Any) -> int:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

        return {
            "events": count(ListingEvent, ListingEvent.kind == kind, ListingEvent.item_id == item_id),
            "audit": count(
                AuditEvent, AuditEvent.action == f"{kind}.transition", AuditEvent.target_id == key
            ),
            "notifications": count(Notification, Notification.link == url),
            "changes": count(ChangeLog, ChangeLog.entity == kind, ChangeLog.entity_id == item_id),
        }


def status_of(engine: Engine, kind: str, item_id: int) -> DataProduct | Dataset:
    with Session(engine) as session:
        item = session.get(listings.MODELS[kind], item_id)
        assert item is not None
        return item


@pytest.mark.parametrize(("kind", "publicity_days"), [("product", "7"), ("dataset", "7"), ("product", "0")])
def test_an_approval_and_a_rejection_at_once_one_wins(
    seeded_settings: Settings,
    seeded_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    publicity_days: str,
) -> None:
    settings = make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS=publicity_days)
    key, item_id = in_review(seeded_engine, kind)
    approver, rejecter = reviewers(seeded_engine)
    before = written(seeded_engine, kind, key, item_id)

    def step(actor: Actor, request: listings.TransitionRequest) -> Callable[[], None]:
        def take() -> None:
            with db.session_scope(seeded_engine) as session:  # a request of its own, as the web's ``call``
                listings.transition(session, settings, actor, kind, key, request)

        return take

    steps = [step(approver, APPROVE), step(rejecter, REJECT)]
    outcomes = dict(
        zip(("publicity", "rejected"), at_once(monkeypatch, listings, "find_item", steps), strict=True)
    )

    winners = [to for to, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1, outcomes
    winner = winners[0]
    loser = "rejected" if winner == "publicity" else "publicity"
    error = outcomes[loser]
    item = status_of(seeded_engine, kind, item_id)
    listed_at_once = winner == "publicity" and publicity_days == "0"
    assert item.status == ("listed" if listed_at_once else winner)
    assert isinstance(error, InvalidTransition) and error.status == 409, error
    assert f"in state {item.status} " in error.message  # the state it is in now, and its steps from there
    assert error.allowed == (["changes_requested"] if item.status == "publicity" else [])
    with Session(seeded_engine) as session:
        steps = session.exec(
            select(ListingEvent)
            .where(ListingEvent.kind == kind, ListingEvent.item_id == item_id)
            .order_by(ListingEvent.id)  # type: ignore[arg-type]
        ).all()
    new_steps = [(e.from_status, e.to_status) for e in steps][before["events"] :]
    assert new_steps == [("in_review", winner)] + ([("publicity", "listed")] if listed_at_once else [])
    after = written(seeded_engine, kind, key, item_id)
    assert after["events"] - before["events"] == len(new_steps)
    assert after["audit"] - before["audit"] == len(new_steps)
    assert after["notifications"] - before["notifications"] == len(new_steps)
    assert after["changes"] - before["changes"] == 1  # the winner's commit brings search up to date
    if kind == "product":
        assert (item.listing_no is not None) == listed_at_once  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["product", "dataset"])
def test_a_step_from_a_state_left_behind_still_answers_409(
    seeded_settings: Settings, seeded_engine: Engine, kind: str
) -> None:
    key, item_id = in_review(seeded_engine, kind)
    approver, rejecter = reviewers(seeded_engine)
    with db.session_scope(seeded_engine) as session:
        listings.transition(session, seeded_settings, approver, kind, key, APPROVE)
    before = written(seeded_engine, kind, key, item_id)
    with pytest.raises(InvalidTransition) as conflict, db.session_scope(seeded_engine) as session:
        listings.transition(session, seeded_settings, rejecter, kind, key, REJECT)
    assert conflict.value.status == 409 and conflict.value.allowed == ["changes_requested"]
    assert "in state publicity " in conflict.value.message
    assert status_of(seeded_engine, kind, item_id).status == "publicity"
    assert written(seeded_engine, kind, key, item_id) == before


def test_two_answers_to_one_objection_at_once_one_wins(
    seeded_settings: Settings, seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One reviewer upholds, another dismisses: one answer stands, and the listing follows it."""
    key, item_id = in_review(seeded_engine, "product")
    approver, other = reviewers(seeded_engine)
    with db.session_scope(seeded_engine) as session:
        listings.transition(session, seeded_settings, approver, "product", key, APPROVE)
        objection = listings.file_objection(
            session,
            actor(session, BUYER),  # a member of an enterprise
            "product",
            key,
            listings.ObjectionCreate(reason="该产品的数据来源未列入授权运营目录，请核实。"),
        )

    def answer(actor: Actor, uphold: bool) -> Callable[[], None]:
        def take() -> None:
            data = listings.ObjectionAnswer(
                uphold=uphold, answer="已核实来源" if not uphold else "来源待补充"
            )
            with db.session_scope(seeded_engine) as session:
                listings.answer_objection(session, seeded_settings, actor, objection.id, data)

        return take

    answers = [answer(approver, True), answer(other, False)]
    results = at_once(monkeypatch, listings, "can_review_listing_of", answers)
    outcomes = dict(zip(("upheld", "dismissed"), results, strict=True))
    winners = [name for name, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1, outcomes
    loser = next(outcome for outcome in outcomes.values() if outcome != "ok")
    assert isinstance(loser, InvalidTransition) and loser.status == 409
    with Session(seeded_engine) as session:
        stored = session.get(Objection, objection.id)
        assert stored is not None and stored.status == winners[0]
        expected = "changes_requested" if winners[0] == "upheld" else "publicity"
        assert status_of(seeded_engine, "product", item_id).status == expected
        answers = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(col(AuditEvent.action).startswith("objection."))
        ).one()
        assert answers == 2  # filed, and the one answer
