"""Two writers at once, on every backend. SQLite lets one write at a time; PostgreSQL runs both,
read committed, so what one reads before writing may be stale when it writes. Each test holds a first
transaction open at the decisive moment, runs the second in a thread until it waits on the first (or
finishes), then commits the first: exactly one wins or both count, and nobody gets a database error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from catalog import db
from catalog.errors import CatalogError
from catalog.indexing.indexer import Indexer
from catalog.listings import workflow
from catalog.listings.services import TransitionRequest, transition
from catalog.permissions import SYSTEM, Actor
from catalog.products import services as products
from catalog.products.models import DataProduct, ProductCreate
from catalog.requests.models import AccessRequest
from catalog.requests.services import RequestCreate, create_request
from catalog.settings import Settings
from catalog.stats.models import ViewCount
from catalog.stats.views import ViewCounter
from tests.conftest import make_settings
from tests.factories import BUYER, OWNER, actor, listed_product

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"

WAIT = 0.5  # seconds for the second writer to reach the point where it waits for the first


@pytest.fixture
def second() -> Iterator[Callable[..., Future[Any]]]:
    """Runs the second writer in a thread; its future."""
    with ThreadPoolExecutor(max_workers=1) as pool:

        def start(work: Callable[..., Any], *args: Any) -> Future[Any]:
            future = pool.submit(work, *args)
            wait([future], timeout=WAIT)  # until it waits on the first writer, or is done
            return future

        yield start


def _listed_product(engine: Engine) -> DataProduct:
    with Session(engine) as session:
        return listed_product(session)


def _actor(engine: Engine, email: str) -> Actor:
    with Session(engine) as session:
        return actor(session, email)


def test_two_requests_for_the_same_product_at_once_make_one(
    seeded_engine: Engine, second: Callable[..., Future[Any]]
) -> None:
    product = _listed_product(seeded_engine)
    actor = _actor(seeded_engine, BUYER)
    data = RequestCreate(
        product_id=product.slug,
        purpose="冷链配送线路优化",
        scenario="配送调度与运力规划",
        term_months=12,
        contact="李明 13800000000",
        accept_license=True,
    )

    def ask() -> object:
        with db.session_scope(seeded_engine) as session:
            return create_request(session, actor, data)

    with db.session_scope(seeded_engine) as session:
        create_request(session, actor, data)  # flushed: its row holds the one-open-request index
        other = second(ask)
    with pytest.raises(CatalogError) as refused:
        other.result(timeout=30)
    assert refused.value.code == "duplicate" and refused.value.status == 409
    with Session(seeded_engine) as session:
        rows = session.exec(select(AccessRequest).where(AccessRequest.product_id == product.id)).all()
        assert len([r for r in rows if r.requester_org_id in actor.member_of]) == 1


def test_a_draft_sent_twice_at_once_with_one_idempotency_key_is_made_once(
    seeded_engine: Engine, second: Callable[..., Future[Any]]
) -> None:
    with Session(seeded_engine) as session:
        model = _listed_product(seeded_engine)
        body = {**products.product_input(session, model), "slug": "twice-sent-draft", "title": "重发的草稿"}
    owner = _actor(seeded_engine, OWNER)
    data = ProductCreate.model_validate(body)

    def send() -> tuple[object, bool]:
        with db.session_scope(seeded_engine) as session:
            return products.create_draft(session, owner, data, key="retry-1")

    with db.session_scope(seeded_engine) as session:
        products.create_draft(session, owner, data, key="retry-1")  # flushed, holding the key's index
        again = second(send)
    draft, created = again.result(timeout=30)
    assert not created and draft.id == "twice-sent-draft"  # type: ignore[attr-defined]
    with Session(seeded_engine) as session:
        assert len(session.exec(select(DataProduct).where(DataProduct.creation_key == "retry-1")).all()) == 1


def test_two_processes_counting_the_first_views_of_a_day_add_up(
    seeded_engine: Engine, second: Callable[..., Future[Any]]
) -> None:
    slug, today = _listed_product(seeded_engine).slug, dt.date.today()
    counter = ViewCounter()
    for visitor in ("a", "b", "c"):
        counter.hit("product", slug, visitor, today)
    with Session(seeded_engine) as session:  # another process writes the day's first row, not yet committed
        session.add(ViewCount(kind="product", key=slug, day=today, views=2))
        session.flush()
        flushing = second(counter.flush, seeded_engine)
        session.commit()
    assert flushing.result(timeout=30) == 3
    with Session(seeded_engine) as session:
        assert session.exec(select(ViewCount.views).where(ViewCount.key == slug)).one() == 5


def test_two_listings_at_once_take_two_numbers(
    seeded_settings: Settings, seeded_engine: Engine, second: Callable[..., Future[Any]]
) -> None:
    settings = make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS="0")  # listed on approval
    with Session(seeded_engine) as session:
        first_slug, second_slug = session.exec(
            select(DataProduct.slug)
            .where(DataProduct.status == "in_review")
            .order_by(DataProduct.id)
            .limit(2)  # type: ignore[arg-type]
        ).all()
    approve = TransitionRequest(
        to="publicity", reason="齐全", checklist=dict.fromkeys(workflow.CHECKLIST, True)
    )

    def list_second() -> None:
        with db.session_scope(seeded_engine) as session:
            transition(session, settings, SYSTEM, "product", second_slug, approve)

    with db.session_scope(seeded_engine) as session:
        transition(session, settings, SYSTEM, "product", first_slug, approve)  # took the next number
        listing = second(list_second)
    listing.result(timeout=30)
    with Session(seeded_engine) as session:
        numbers = session.exec(
            select(DataProduct.listing_no).where(DataProduct.slug.in_([first_slug, second_slug]))  # type: ignore[attr-defined]
        ).all()
    assert len(set(numbers)) == 2 and None not in numbers


def test_a_change_committed_after_a_later_one_still_reaches_the_index(
    seeded_settings: Settings, seeded_engine: Engine, second: Callable[..., Future[Any]]
) -> None:
    indexer = Indexer(seeded_engine, seeded_settings.index_dir)
    with Session(seeded_engine) as session:
        slow_slug, quick_slug = session.exec(
            select(DataProduct.slug).where(DataProduct.status == "listed").order_by(DataProduct.id).limit(2)  # type: ignore[arg-type]
        ).all()

    def rename(session: Session, slug: str, title: str) -> None:
        product = session.exec(select(DataProduct).where(DataProduct.slug == slug)).one()
        product.title = title
        session.flush()

    def quick() -> None:
        with db.session_scope(seeded_engine) as session:
            rename(session, quick_slug, "后提交的改名乙")

    with db.session_scope(seeded_engine) as session:
        rename(session, slow_slug, "先开始的改名甲")
        committed = second(quick)
        if committed.done():  # PostgreSQL: the later change committed first; the index applies it now
            indexer.catch_up()
    committed.result(timeout=30)
    indexer.catch_up()
    assert indexer.index.search("先开始的改名甲", kind="product").total == 1
    assert indexer.index.search("后提交的改名乙", kind="product").total == 1
    assert indexer.status()["lag"] == 0
