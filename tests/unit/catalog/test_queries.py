"""The packages' query modules read many items at once and answer what the services answer for each."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from catalog import db
from catalog.accounts import queries as organization_queries
from catalog.accounts.models import Organization
from catalog.accounts.services import get_organization
from catalog.datasets import queries as dataset_queries
from catalog.datasets import services as datasets
from catalog.datasets.models import Dataset
from catalog.errors import Forbidden
from catalog.indexing import queries as change_queries
from catalog.indexing.models import ChangeLog
from catalog.listings.states import ListingStatus
from catalog.listings.workflow import CHECKLIST
from catalog.permissions import ANONYMOUS, SYSTEM
from catalog.products import queries as product_queries
from catalog.products import revisions
from catalog.products import services as products
from catalog.products.models import DataProduct

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"


def approve_new_version(engine: Engine, slug: str, summary: str) -> None:
    """A new version of a listed product, edited, submitted and approved through the workflow."""
    with db.session_scope(engine) as session:
        revisions.save_revision(session, SYSTEM, slug, {"summary": summary, "change_summary": summary})
        revisions.revision_transition(session, SYSTEM, slug, "submitted")
        revisions.revision_transition(
            session, SYSTEM, slug, "approved", checklist=dict.fromkeys(CHECKLIST, True)
        )


def test_listed_product_details_are_the_product_pages_answers(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        first = session.exec(
            select(DataProduct.slug).where(DataProduct.status == ListingStatus.LISTED)
        ).first()
    assert first is not None
    approve_new_version(seeded_engine, first, "增加温湿度分钟级数据")
    approve_new_version(seeded_engine, first, "更新频率改为每日")
    with Session(seeded_engine) as session:
        slugs = session.exec(
            select(DataProduct.slug)
            .where(DataProduct.status == ListingStatus.LISTED)
            .order_by(col(DataProduct.listed_at), col(DataProduct.id))
        ).all()
        details = product_queries.listed_product_details(session)
        assert details == [products.get_product(session, ANONYMOUS, slug) for slug in slugs]
    assert [len(d.versions) for d in details if d.id == first] == [3]  # two new versions and the first
    assert any(d.source_datasets for d in details)


def test_product_details_of_any_state_are_the_services_answers(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        rows = session.exec(select(DataProduct).order_by(col(DataProduct.id))).all()
        expected = [products.get_product(session, SYSTEM, row.slug) for row in rows]
        assert product_queries.product_details(session, rows) == expected
        assert product_queries.product_details(session, []) == []


def test_listed_dataset_details_are_the_dataset_pages_answers(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        codes = session.exec(
            select(Dataset.code)
            .where(Dataset.status == ListingStatus.LISTED)
            .order_by(col(Dataset.listed_at), col(Dataset.id))
        ).all()
        details = dataset_queries.listed_dataset_details(session)
        expected = [datasets.get_dataset(session, ANONYMOUS, code) for code in codes]
    # the products built on a dataset are compared as sets: the page orders those listed the same
    # moment as the database finds them
    as_sets = [d.model_dump() | {"products": {p.id for p in d.products}} for d in details]
    assert as_sets == [d.model_dump() | {"products": {p.id for p in d.products}} for d in expected]
    assert any(len(d.products) > 1 for d in details)


def test_organizations_by_slug_are_the_organization_pages_answers(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        slugs = session.exec(select(Organization.slug)).all()
        found = organization_queries.organizations_by_slug(session, [*slugs, "no-such-organization"])
        assert found == {slug: get_organization(session, slug) for slug in sorted(slugs)}
        assert list(found) == sorted(slugs)
        assert organization_queries.organizations_by_slug(session, []) == {}


def test_organizations_created_names_each_known_slug(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        rows = session.exec(select(Organization)).all()
        created = organization_queries.organizations_created(session, [o.slug for o in rows] + ["nobody"])
    assert created == {o.slug: o.created_at for o in rows}


def test_the_newest_change_is_the_last_change_log_row(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        newest = change_queries.newest_change(session)
        last = session.exec(select(ChangeLog).order_by(col(ChangeLog.seq).desc())).first()
    assert last is not None and newest == (last.seq, last.mark)


def test_the_review_queue_shows_new_versions_as_view_objects(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        slug = session.exec(
            select(DataProduct.slug).where(DataProduct.status == ListingStatus.LISTED)
        ).first()
    assert slug is not None
    with db.session_scope(seeded_engine) as session:
        revisions.save_revision(session, SYSTEM, slug, {"change_summary": "增加夜间作业指标"})
        revisions.revision_transition(session, SYSTEM, slug, "submitted")
    with Session(seeded_engine) as session:
        queue = product_queries.versions_in_review(session, SYSTEM)
        with pytest.raises(Forbidden):
            product_queries.versions_in_review(session, ANONYMOUS)
    assert [(v.slug, v.change_summary) for v in queue] == [(slug, "增加夜间作业指标")]
    assert isinstance(queue[0], product_queries.VersionInReview) and queue[0].submitted_at is not None


def test_counts_by_status_cover_every_item(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        for queries, model in ((product_queries, DataProduct), (dataset_queries, Dataset)):
            rows = session.exec(select(model)).all()
            counts = queries.count_by_status(session)
            assert sum(counts.values()) == len(rows) and counts[ListingStatus.LISTED] > 0
        products = session.exec(select(DataProduct)).all()
        listed = [r for r in products if r.status == ListingStatus.LISTED and r.listed_at]
        assert sorted(product_queries.listed_dates(session)) == sorted(r.listed_at for r in listed)


def test_public_titles_name_listed_and_publicity_items_only(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        rows = session.exec(select(DataProduct)).all()
        titles = product_queries.public_titles(session)
    assert titles == {p.slug: p.title for p in rows if p.status in ("listed", "publicity")}


def test_taken_keys_are_those_the_catalog_has(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        product = session.exec(select(DataProduct).where(col(DataProduct.listing_no).is_not(None))).first()
        dataset = session.exec(select(Dataset)).first()
        assert product is not None and product.listing_no and dataset is not None
        assert product_queries.taken_slugs(session, [product.slug, "no-such-product"]) == {product.slug}
        numbers = [product.listing_no, "HADP-1999-0001"]
        assert product_queries.taken_listing_nos(session, numbers) == {product.listing_no}
        assert dataset_queries.dataset_codes(session, [dataset.code, "NO-SUCH"]) == {dataset.code}
        assert dataset.code in dataset_queries.dataset_codes(session)
