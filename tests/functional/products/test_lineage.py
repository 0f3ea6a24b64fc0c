"""A listed product's lineage names only what is public: a source dataset taken back to draft (and
retitled there) shows its code and "not public", and no word of it reaches a page, an export or the
search index (issue 18, point 2)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from catalog.datasets.models import Dataset
from catalog.listings.states import ListingStatus
from catalog.listings.urls import product_datapackage_url, product_url
from catalog.products.models import ProductSource
from tests.factories import listed_product

DRAFT_TITLE = "夜间渣土车辆轨迹草稿"  # words no item of the seed catalog holds
DRAFT_TITLE_EN = "Nightmuckhaulers draft"


def _retitled_draft_source(engine: Engine) -> tuple[str, str, int]:
    """A listed product's slug, and the code and id of its source dataset, now a draft with a new title
    (as its owner may leave it after taking it back)."""
    with Session(engine) as session:
        product = listed_product(session)
        dataset = session.exec(
            select(Dataset)
            .join(ProductSource, col(ProductSource.dataset_id) == col(Dataset.id))
            .where(ProductSource.product_id == product.id)
            .order_by(col(Dataset.code))
        ).first()
        assert dataset is not None and dataset.id is not None
        dataset.status = ListingStatus.DRAFT
        dataset.title, dataset.title_en = DRAFT_TITLE, DRAFT_TITLE_EN
        session.add(dataset)
        session.commit()
        return product.slug, dataset.code, dataset.id


def test_a_source_dataset_that_is_not_public_shows_only_its_code(
    web: TestClient, seeded_engine: Engine
) -> None:
    slug, code, _ = _retitled_draft_source(seeded_engine)
    web.app.state.indexer.catch_up()  # type: ignore[attr-defined]  # the ChangeLog reaches the index

    page = web.get(product_url(slug), headers={"accept-language": "zh"})
    assert page.status_code == 200
    assert code in page.text and "未公开" in page.text
    detail = web.get(f"/api/v1/products/{slug}").json()
    source = next(s for s in detail["source_datasets"] if s["id"] == code)
    assert source == {"id": code, "public": False, "title": "", "title_en": "", "provider": None, "url": None}
    public = [s for s in detail["source_datasets"] if s["public"]]
    assert all(s["title"] and s["url"] for s in public)

    answers = {
        "page": page.text,
        "api": web.get(f"/api/v1/products/{slug}").text,
        "datapackage": web.get(product_datapackage_url(slug)).text,
        "dcat": web.get("/catalog.ttl").text,
        "ckan": web.get("/api/3/action/package_show", params={"id": slug}).text,
    }
    for door, text in answers.items():
        assert "渣土" not in text and "Nightmuckhaulers" not in text, door
    assert f"/datasets/{code}" not in answers["page"] + answers["dcat"] + answers["datapackage"]

    for word in ("渣土", "Nightmuckhaulers"):
        found = web.get("/api/v1/search", params={"q": word}).json()
        assert found["products"]["total"] == found["datasets"]["total"] == 0, (word, found)


def test_the_source_is_shown_again_with_its_title_once_it_is_public(
    web: TestClient, seeded_engine: Engine
) -> None:
    slug, code, dataset_id = _retitled_draft_source(seeded_engine)
    with Session(seeded_engine) as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        dataset.status = ListingStatus.LISTED
        session.add(dataset)
        session.commit()
    web.app.state.indexer.catch_up()  # type: ignore[attr-defined]

    source = next(s for s in web.get(f"/api/v1/products/{slug}").json()["source_datasets"] if s["id"] == code)
    assert source["public"] is True and source["title"] == DRAFT_TITLE
    found = web.get("/api/v1/search", params={"q": "渣土"}).json()
    assert slug in {hit["id"] for hit in found["products"]["items"]}
