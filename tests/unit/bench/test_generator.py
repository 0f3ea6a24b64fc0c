"""The benchmark catalog generator: deterministic, valid, importable into a seeded database, varied."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from catalog.bench.generator import FIRST_LISTED, LAST_LISTED, generate_products
from catalog.products.models import ProductCreate
from catalog.seeding import read_yaml
from tests.conftest import SEED_DIR


def read_seed(pattern: str) -> list[dict[str, Any]]:
    return [item for path in sorted(SEED_DIR.glob(pattern)) for item in read_yaml(path)]


@pytest.fixture(scope="module")
def products() -> list[dict[str, Any]]:
    return list(generate_products(5000))


def test_same_arguments_give_the_same_products(products: list[dict[str, Any]]) -> None:
    assert list(generate_products(300)) == list(generate_products(300))
    assert list(generate_products(5000)) == products
    assert list(generate_products(300, seed=7)) != products[:300]


def test_every_product_validates_as_a_listed_product(products: list[dict[str, Any]]) -> None:
    for item in products[:500]:
        product = ProductCreate.model_validate(item)
        assert product.status == "listed", item["slug"]
        assert product.listed_at is not None and FIRST_LISTED <= product.listed_at <= LAST_LISTED


def test_texts_and_lists_have_the_sizes_of_the_seed(products: list[dict[str, Any]]) -> None:
    seed_keys = {key for item in read_seed("products/*.yaml") for key in item}
    for item in products[:2000]:
        assert set(item) <= seed_keys, item["slug"]
        assert 30 <= len(item["summary"]) <= 80, item["summary"]
        assert 100 <= len(item["description"]) <= 250, item["description"]
        assert item["title_en"].isascii() and item["summary_en"].isascii(), item["slug"]
        assert 2 <= len(item["tags"]) <= 5 and len(set(item["tags"])) == len(item["tags"]), item["slug"]
        assert 1 <= len(item["scenarios"]) <= 3, item["slug"]


def test_slugs_are_unique(products: list[dict[str, Any]]) -> None:
    slugs = [item["slug"] for item in products]
    assert len(set(slugs)) == len(slugs) == 5000
    assert all(slug.startswith("bench-") for slug in slugs)


def test_every_reference_is_a_seed_entity(products: list[dict[str, Any]]) -> None:
    organizations = {o["slug"]: o["kind"] for o in read_seed("organizations.yaml")}
    sectors = {s["slug"] for s in read_seed("sectors.yaml")}
    licences = {str(licence["code"]) for licence in read_seed("licences.yaml")}
    datasets = {d["code"]: d["sectors"] for d in read_seed("datasets/*.yaml")}
    kinds: Counter[str] = Counter()
    for item in products:
        kinds[organizations[item["provider"]]] += 1
        assert set(item["sectors"]) <= sectors, item["slug"]
        assert item["license"] in licences, item["slug"]
        assert set(item["source_datasets"]) <= set(datasets), item["slug"]
        assert any(item["sectors"][0] in datasets[code] for code in item["source_datasets"]), item["slug"]
    assert kinds["operator"] + kinds["department"] > 0.9 * len(products)
    assert kinds["operator"] > kinds["department"] > kinds["enterprise"] > 0


def test_titles_are_varied_and_their_words_skewed(products: list[dict[str, Any]]) -> None:
    titles = [item["title"] for item in products[:2000]]
    assert len(set(titles)) >= 0.9 * len(titles)
    assert len({item["title_en"] for item in products[:2000]}) >= 0.9 * len(titles)
    assert len({item["description"] for item in products[:2000]}) >= 0.99 * len(titles)
    tags = Counter(tag for item in products for tag in item["tags"])
    counts = sorted(tags.values(), reverse=True)
    assert len(tags) > 200  # a few words are very common, most are rare
    assert counts[0] > 5 * counts[len(counts) // 2] and counts[0] > 20 * counts[-1]


def test_listing_dates_spread_over_the_whole_range(products: list[dict[str, Any]]) -> None:
    dates = [item["listed_at"] for item in products]
    assert all(isinstance(d, dt.date) for d in dates)
    assert {d.year for d in dates} == {2024, 2025, 2026}
    assert min(dates) < dt.date(2024, 2, 1) and max(dates) > dt.date(2026, 10, 1)
