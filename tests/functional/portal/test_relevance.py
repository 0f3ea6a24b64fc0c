"""Search relevance on the seeded catalog: each query of tests/data/relevance.yaml finds its products."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from catalog.seeding import read_yaml
from catalog.settings import PROJECT_ROOT

ROOT = PROJECT_ROOT
RELEVANCE = ROOT / "tests" / "data" / "relevance.yaml"
SEED_PRODUCTS = ROOT / "seed" / "products"
KINDS = {
    "title",
    "rare-word",
    "pinyin",
    "initials",
    "english",
    "synonym",
    "provider",
    "source",
    "phrase",
    "ranking",
}
PAGE = 20

CASES: list[dict] = read_yaml(RELEVANCE)


def seed_statuses() -> dict[str, str]:
    """Every seed product's slug and status."""
    return {
        product["slug"]: product["status"]
        for path in sorted(SEED_PRODUCTS.glob("*.yaml"))
        for product in read_yaml(path)
    }


def test_relevance_set_is_large_and_points_at_listed_products() -> None:
    assert len(CASES) >= 40
    queries = [case["q"] for case in CASES]
    assert len(queries) == len(set(queries)), "duplicate queries"
    statuses = seed_statuses()
    for case in CASES:
        assert set(case) == {"q", "expect", "kind", "note"}, case
        assert case["kind"] in KINDS and case["expect"] and case["note"], case
        for slug in case["expect"]:
            assert slug in statuses, f"{case['q']!r}: no seed product {slug!r}"
            assert statuses[slug] == "listed", f"{case['q']!r}: {slug!r} is {statuses[slug]}"


@pytest.mark.parametrize("case", CASES, ids=[case["q"] for case in CASES])
def test_query_finds_its_expected_products_on_the_first_page(client: TestClient, case: dict) -> None:
    response = client.get("/api/v1/products", params={"q": case["q"], "per_page": PAGE})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    found = [item["id"] for item in items]
    missing = [slug for slug in case["expect"] if slug not in found]
    came_back = "\n".join(f"  {n}. {item['id']}  {item['title']}" for n, item in enumerate(items, 1))
    assert not missing, (
        f"{case['kind']} query {case['q']!r} ({case['note']}): missing {missing} "
        f"from the first {PAGE} results:\n{came_back or '  (nothing)'}"
    )
