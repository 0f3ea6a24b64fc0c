"""Product services on the seeded catalog and its index: filters, facets, visibility, sorting, detail."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from catalog.errors import Forbidden, NotFound, Unauthorized
from catalog.indexing.indexer import Indexer
from catalog.listings.filters import ProductFilters
from catalog.listings.search import index_query
from catalog.listings.states import ListingStatus
from catalog.pagination import Page
from catalog.permissions import ANONYMOUS, SYSTEM, Actor
from catalog.products import services
from catalog.products.models import DataProduct, ProductCreate, ProductSummary
from catalog.settings import Settings

Listing = Callable[..., Page[ProductSummary]]


@pytest.fixture
def listing(seeded_engine: Engine, seeded_settings: Settings) -> Listing:
    """The public product list for filters, as the pages get it: index query, then database rows."""
    index = Indexer(seeded_engine, seeded_settings.index_dir).index

    def run(**filters: object) -> Page[ProductSummary]:
        chosen = ProductFilters(**filters)  # type: ignore[arg-type]
        with Session(seeded_engine) as session:
            return services.list_products(
                session, ANONYMOUS, chosen, index.search(**index_query("product", chosen))
            )

    return run


@pytest.mark.parametrize(
    "base", [{}, {"q": "数据"}, {"sector": ["transport"]}, {"q": "淮安", "type": ["api"]}]
)
def test_every_facet_count_matches_the_filtered_total(listing: Listing, base: dict) -> None:
    page = listing(**base)
    assert page.total > 0
    for name, values in page.facets.items():
        assert values, name
        for value in values:
            chosen = {**base, name: [value["value"]]}
            assert listing(**chosen).total == value["count"], (base, name, value)


def test_a_facet_keeps_its_other_values_choosable_while_filtered(listing: Listing) -> None:
    everything = {v["value"]: v["count"] for v in listing().facets["type"]}
    filtered = listing(type=["api"])
    assert {v["value"]: v["count"] for v in filtered.facets["type"]} == everything
    assert filtered.total == everything["api"] and {i.product_type for i in filtered.items} == {"api"}


def test_public_list_holds_listed_products_only(listing: Listing, seeded_engine: Engine) -> None:
    page = listing(per_page=100)
    with Session(seeded_engine) as session:
        listed = session.exec(select(DataProduct).where(DataProduct.status == ListingStatus.LISTED)).all()
    assert page.total == len(listed)
    assert {item.status for item in page.items} == {"listed"}


def test_publicity_list_holds_products_in_their_notice_period(listing: Listing) -> None:
    page = listing(status="publicity")
    assert page.total > 0 and {item.status for item in page.items} == {"publicity"}


def test_a_text_search_never_shows_unlisted_products(listing: Listing, seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        hidden = session.exec(
            select(DataProduct).where(DataProduct.status.in_(["draft", "submitted", "rejected", "delisted"]))  # type: ignore[attr-defined]
        ).all()
    assert hidden
    for product in hidden[:10]:
        assert product.slug not in {item.id for item in listing(q=product.title, per_page=100).items}


@pytest.mark.both_backends
def test_a_draft_is_invisible_to_the_public_but_not_to_its_owner(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        draft = session.exec(select(DataProduct).where(DataProduct.status == ListingStatus.DRAFT)).first()
        assert draft is not None
        with pytest.raises(NotFound):
            services.get_product(session, ANONYMOUS, draft.slug)
        owner = Actor(user_id=1, owner_of=frozenset({draft.provider_id}))
        assert services.get_product(session, owner, draft.slug).status == "draft"


def test_detail_carries_lineage_and_licence(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        product = session.exec(select(DataProduct).where(DataProduct.status == ListingStatus.LISTED)).first()
        assert product is not None
        detail = services.get_product(session, ANONYMOUS, product.slug)
    assert detail.source_datasets and all(d.url.startswith("/datasets/") for d in detail.source_datasets)
    assert detail.license.code == detail.license_detail.code and detail.license_detail.terms


@pytest.mark.parametrize("sort", ["newest", "oldest", "title", "requests"])
def test_sorting_orders_every_page(listing: Listing, sort: str) -> None:
    first, second = listing(sort=sort, per_page=30).items, listing(sort=sort, per_page=30, page=2).items
    items = first + second
    assert len({i.id for i in items}) == 60
    if sort in ("newest", "requests"):
        assert [i.listed_at for i in items] == sorted((i.listed_at for i in items), reverse=True)
    elif sort == "oldest":
        assert [i.listed_at for i in items] == sorted(i.listed_at for i in items)
    else:
        from search_index.analysis import title_sort_key as sort_key

        assert [sort_key(i.title) for i in items] == sorted(sort_key(i.title) for i in items)


def test_relevance_puts_a_title_match_first(listing: Listing) -> None:
    top = listing(q="公交车辆实时到站预测").items[0]
    assert top.id == "bus-realtime-arrival-api"


def test_importing_a_product_is_for_administrators_and_the_system(seeded_engine: Engine) -> None:
    """An owner may not import (403, as for any role that does not allow it), nobody anonymous (401)."""
    with Session(seeded_engine) as session:
        model = session.exec(select(DataProduct).where(DataProduct.status == "listed").limit(1)).one()
        data = ProductCreate.model_validate(
            {**services.product_input(session, model), "slug": "imported-copy"}
        )
        owner = Actor(user_id=1, label="owner", owner_of=frozenset({model.provider_id}))
        with pytest.raises(Forbidden):
            services.import_product(session, owner, data)
        with pytest.raises(Unauthorized):
            services.import_product(session, ANONYMOUS, data)
        assert services.import_product(session, SYSTEM, data) is True
        session.rollback()
