"""The dataset services called directly on a copy of the seeded catalog and its index: the public list
(public datasets only, as the database has them now), one dataset's detail and who may see a draft,
the listed products built on a dataset, and the owners' drafts. The pages and the API are tested in
tests/functional/portal and tests/functional/listings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from catalog.accounts import auth
from catalog.accounts.models import Organization
from catalog.datasets import services as datasets
from catalog.datasets.models import Dataset, DatasetCreate
from catalog.errors import Forbidden, Invalid, InvalidTransition, NotFound
from catalog.indexing.indexer import Indexer
from catalog.listings.filters import DatasetFilters
from catalog.listings.search import index_query
from catalog.listings.states import ListingStatus
from catalog.pagination import Page
from catalog.permissions import ANONYMOUS, SYSTEM, Actor
from catalog.products.models import DataProduct, ProductSource
from catalog.settings import Settings
from tests.conftest import refused
from tests.factories import ADMIN, OWNER, PASSWORD, REVIEWER, actor

S = ListingStatus

PARKING = {
    "code": "HA-TEST-901",
    "title": "淮安市公共停车泊位实时数据",
    "title_en": "Huai'an public parking spaces, real time",
    "description": "全市公共停车场泊位总数与空余泊位数，按分钟更新。",
    "provider": "jtj",
    "sectors": ["transport"],
    "security_grade": "general",
    "sharing_condition": "conditional",
    "update_frequency": "realtime",
    "schema": [{"name": "lot_id", "type": "string", "description": "停车场编号"}],
    "status": "listed",  # asked for, not granted: a new one is a draft
    "listed_at": "2025-01-01",
}


def codes(session: Session, *states: str) -> set[str]:
    return set(session.exec(select(Dataset.code).where(col(Dataset.status).in_(states))))


def test_the_public_list_holds_public_datasets_as_the_database_has_them_now(
    seeded_session: Session, seeded_engine: Engine, seeded_settings: Settings
) -> None:
    index = Indexer(seeded_engine, seeded_settings.index_dir).index

    def listing(**filters: Any) -> Page[Any]:
        chosen = DatasetFilters(per_page=100, **filters)
        return datasets.list_datasets(
            seeded_session, ANONYMOUS, chosen, index.search(**index_query("dataset", chosen))
        )

    listed = listing()
    assert listed.total == len(listed.items) == len(codes(seeded_session, S.LISTED))
    assert {d.id for d in listed.items} == codes(seeded_session, S.LISTED) and {
        d.status for d in listed.items
    } == {S.LISTED}
    in_publicity = listing(status="publicity")
    assert {d.id for d in in_publicity.items} == codes(seeded_session, S.PUBLICITY) != set()
    hidden = seeded_session.exec(
        select(Dataset).where(col(Dataset.status).not_in([S.LISTED, S.PUBLICITY]))
    ).all()
    assert hidden
    for dataset in hidden:  # drafts and those in review are found by no search
        for status in ("listed", "publicity"):
            assert dataset.code not in {d.id for d in listing(q=dataset.title, status=status).items}

    gone = seeded_session.exec(
        select(Dataset).where(Dataset.status == S.LISTED).order_by(col(Dataset.id))
    ).first()
    assert gone is not None
    gone.status = S.DRAFT  # back with its owner: the index has not heard yet, the list already has
    seeded_session.flush()
    again = listing()
    assert gone.code not in {d.id for d in again.items} and len(again.items) == len(listed.items) - 1

    docs, not_public = datasets.search_documents(seeded_session)
    assert {d["key"] for d in docs} == codes(seeded_session, S.LISTED, S.PUBLICITY)
    assert f"dataset:{gone.id}" in not_public and len(docs) + len(not_public) == len(
        codes(seeded_session, *S)
    )


def test_a_draft_is_seen_by_its_department_and_reviewers_only(seeded_session: Session) -> None:
    dataset = seeded_session.exec(select(Dataset).where(Dataset.status == S.DRAFT)).first()
    assert dataset is not None
    department = seeded_session.get(Organization, dataset.provider_id)
    assert department is not None
    auth.create_user(
        seeded_session, SYSTEM, "data@dept.cn", PASSWORD, organization_code=department.code
    )  # a member
    for who in (ANONYMOUS, actor(seeded_session, OWNER)):  # the public; another organization's owner
        refused(NotFound, datasets.get_dataset, seeded_session, who, dataset.code)
    for email in ("data@dept.cn", REVIEWER, ADMIN):
        assert (
            datasets.get_dataset(seeded_session, actor(seeded_session, email), dataset.code).status == S.DRAFT
        )
    refused(NotFound, datasets.get_dataset, seeded_session, actor(seeded_session, ADMIN), "HA-NONE-000")
    dataset.status = S.DELISTED  # a delisted one stays at its address for whoever has it
    seeded_session.flush()
    assert datasets.get_dataset(seeded_session, ANONYMOUS, dataset.code).status == S.DELISTED


def test_a_dataset_shows_the_listed_products_built_on_it_newest_first(seeded_session: Session) -> None:
    built = seeded_session.exec(
        select(ProductSource.dataset_id, DataProduct)
        .join(DataProduct, col(DataProduct.id) == col(ProductSource.product_id))
        .order_by(col(ProductSource.dataset_id))
    ).all()
    by_dataset: dict[int, list[DataProduct]] = {}
    for dataset_id, product in built:
        by_dataset.setdefault(dataset_id, []).append(product)
    # a dataset that also feeds products not listed (drafts, in review, delisted …)
    dataset_id, products = next((i, p) for i, p in by_dataset.items() if len({x.status for x in p}) > 1)
    dataset = seeded_session.get(Dataset, dataset_id)
    assert dataset is not None and dataset.status == S.LISTED
    listed = sorted(
        (p for p in products if p.status == S.LISTED),
        key=lambda p: (p.listed_at, p.id),
        reverse=True,
    )
    detail = datasets.get_dataset(seeded_session, ANONYMOUS, dataset.code)
    assert [p.id for p in detail.products] == [p.slug for p in listed]  # listed only, newest first
    assert all(p.url == f"/products/{p.id}" for p in detail.products)
    assert detail.schema_fields == dataset.field_schema and detail.sectors
    listed[0].status = S.DELISTED
    seeded_session.flush()
    assert [p.id for p in datasets.get_dataset(seeded_session, ANONYMOUS, dataset.code).products] == [
        p.slug for p in listed[1:]
    ]
    many = seeded_session.exec(
        select(Dataset).where(Dataset.status == S.LISTED).order_by(col(Dataset.id))
    ).all()[:5]
    assert [d.id for d in datasets.dataset_details(seeded_session, many)] == [
        d.code for d in many
    ]  # in order, at once
    assert datasets.dataset_details(seeded_session, []) == []


def test_a_departments_owners_draft_and_edit_its_datasets_only(seeded_session: Session) -> None:
    department = seeded_session.exec(select(Organization).where(Organization.slug == "jtj")).one()
    auth.create_user(
        seeded_session, SYSTEM, "data@jtj.cn", PASSWORD, organization_code=department.code, role="owner"
    )
    dept = actor(seeded_session, "data@jtj.cn")
    body = {**PARKING}
    data = DatasetCreate.model_validate(body)
    refused(
        Forbidden, datasets.create_dataset_draft, seeded_session, actor(seeded_session, OWNER), data
    )  # not their department
    made = datasets.create_dataset_draft(seeded_session, dept, data)
    assert (made.status, made.listed_at, made.provider.id) == (S.DRAFT, None, "jtj")
    taken = refused(Invalid, datasets.create_dataset_draft, seeded_session, dept, data)
    assert set(taken.fields) == {"code"}  # type: ignore[attr-defined]

    edited = datasets.update_dataset_draft(
        seeded_session,
        dept,
        "HA-TEST-901",
        {"spatial_coverage": "淮安市区", "status": "listed", "code": "HA-X"},
    )
    assert (edited.id, edited.status, edited.spatial_coverage) == ("HA-TEST-901", S.DRAFT, "淮安市区")
    refused(
        NotFound,
        datasets.update_dataset_draft,
        seeded_session,
        actor(seeded_session, OWNER),
        "HA-TEST-901",
        {},
    )
    listed = seeded_session.exec(
        select(Dataset).where(Dataset.provider_id == department.id, Dataset.status == S.LISTED)
    ).first()
    assert listed is not None  # a listed one is not edited directly
    refused(
        InvalidTransition,
        datasets.update_dataset_draft,
        seeded_session,
        dept,
        listed.code,
        {"spatial_coverage": "x"},
    )
    assert datasets.import_dataset(seeded_session, SYSTEM, data) is False  # the code exists


def test_importing_a_dataset_is_forbidden_to_non_administrators(session: Session) -> None:
    owner = Actor(user_id=1, label="owner", owner_of=frozenset({1}))
    data = DatasetCreate.model_validate({**PARKING, "status": "draft", "listed_at": None})
    refused(Forbidden, datasets.import_dataset, session, owner, data)
