"""Product services on the seeded catalog: filters, facets, visibility, detail."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from catalog.errors import NotFound
from catalog.listings.filters import ProductFilters
from catalog.listings.states import ListingStatus
from catalog.permissions import ANONYMOUS, Actor
from catalog.products import services
from catalog.products.models import DataProduct


def test_every_facet_count_matches_the_filtered_total(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        page = services.list_products(session, ANONYMOUS, ProductFilters())
        for name, values in page.facets.items():
            for value in values:
                filtered = services.list_products(
                    session, ANONYMOUS, ProductFilters(**{name: [value["value"]]})
                )
                assert filtered.total == value["count"], (name, value)


def test_public_list_holds_listed_products_only(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        page = services.list_products(session, ANONYMOUS, ProductFilters(per_page=100, page=1))
        listed = session.exec(select(DataProduct).where(DataProduct.status == ListingStatus.LISTED)).all()
    assert page.total == len(listed)
    assert {item.status for item in page.items} == {"listed"}


def test_publicity_list_holds_products_in_their_notice_period(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        page = services.list_products(session, ANONYMOUS, ProductFilters(status="publicity"))
    assert page.total > 0 and {item.status for item in page.items} == {"publicity"}


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


def test_ranked_keys_keep_search_order(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        slugs = list(
            session.exec(select(DataProduct.slug).where(DataProduct.status == ListingStatus.LISTED).limit(3))
        )
        page = services.list_products(session, ANONYMOUS, ProductFilters(q="x"), ranked_keys=slugs[::-1])
    assert [item.id for item in page.items] == slugs[::-1]


def test_sorting_newest_puts_latest_listing_first(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        items = services.list_products(session, ANONYMOUS, ProductFilters(sort="newest", per_page=50)).items
    dates = [item.listed_at for item in items]
    assert dates == sorted(dates, reverse=True)
