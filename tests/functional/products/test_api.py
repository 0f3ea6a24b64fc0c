"""JSON API v1 through the ASGI app, on the seeded catalog."""

import re

import pytest
from starlette.testclient import TestClient

SUMMARY_FIELDS = {
    "id",
    "listing_no",
    "title",
    "title_en",
    "summary",
    "provider",
    "sectors",
    "license",
    "price_model",
    "status",
    "listed_at",
    "url",
}


def test_products_list_has_the_documented_shape(client: TestClient) -> None:
    body = client.get("/api/v1/products").json()
    assert set(body) == {"total", "page", "per_page", "items", "facets", "suggestion", "simplified"}
    assert body["total"] >= 250 and body["page"] == 1 and len(body["items"]) == body["per_page"]
    assert set(body["items"][0]) >= SUMMARY_FIELDS
    assert {"sector", "provider", "license", "type"} <= set(body["facets"])


@pytest.mark.parametrize("facet", ["sector", "provider", "license", "type"])
def test_facet_value_returns_exactly_its_count(client: TestClient, facet: str) -> None:
    for value in client.get("/api/v1/products").json()["facets"][facet][:5]:
        total = client.get("/api/v1/products", params={facet: value["value"]}).json()["total"]
        assert total == value["count"], value


def test_product_detail_has_lineage_and_licence_code(client: TestClient) -> None:
    item = client.get("/api/v1/products").json()["items"][0]
    detail = client.get(f"/api/v1/products/{item['id']}").json()
    assert detail["source_datasets"] and detail["license"]["code"]
    for source in detail["source_datasets"]:
        assert client.get(f"/api/v1/datasets/{source['id']}").status_code == 200


def test_text_query_finds_chinese_and_pinyin(client: TestClient) -> None:
    chinese = client.get("/api/v1/products", params={"q": "龙虾"}).json()
    pinyin = client.get("/api/v1/products", params={"q": "longxia"}).json()
    assert chinese["total"] > 0 and pinyin["total"] > 0
    assert any("龙虾" in item["title"] for item in chinese["items"])


def test_paging_walks_the_whole_list_without_repeats(client: TestClient) -> None:
    total = client.get("/api/v1/products").json()["total"]
    ids: list[str] = []
    page = 1
    while ids_page := client.get("/api/v1/products", params={"page": page, "per_page": 100}).json()["items"]:
        ids += [item["id"] for item in ids_page]
        page += 1
    assert len(ids) == len(set(ids)) == total


@pytest.mark.parametrize(
    "params", [{"per_page": 1000}, {"page": 0}, {"sort": "cheapest"}, {"status": "draft"}]
)
def test_invalid_parameters_answer_422_with_fields(client: TestClient, params: dict) -> None:
    response = client.get("/api/v1/products", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products/nope",
        "/api/v1/datasets/NOPE",
        "/api/v1/organizations/nope",
        "/api/v1/licenses/nope",
        "/api/v1/nothing-here",
    ],
)
def test_unknown_ids_answer_404_json(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_drafts_are_not_in_public_reads(client: TestClient) -> None:
    statuses = {
        item["status"]
        for page in (1, 2, 3)
        for item in client.get("/api/v1/products", params={"page": page, "per_page": 100}).json()["items"]
    }
    assert statuses == {"listed"}


def test_datasets_organizations_and_licences_are_listed(client: TestClient) -> None:
    datasets = client.get("/api/v1/datasets").json()
    assert datasets["total"] >= 50 and {"id", "title", "provider", "sectors"} <= set(datasets["items"][0])
    organizations = client.get("/api/v1/organizations", params={"kind": "department"}).json()
    assert organizations["total"] >= 16
    assert all(len(o["code"]) == 18 and o["kind"] == "department" for o in organizations["items"])
    licences = client.get("/api/v1/licenses").json()
    assert {"cc-by-4.0", "cc0-1.0", "odbl-1.0", "hadp-standard"} <= {lic["code"] for lic in licences["items"]}


@pytest.mark.both_backends
def test_stats_match_the_lists(client: TestClient) -> None:
    stats = client.get("/api/v1/stats").json()
    assert stats["products"]["listed"] == client.get("/api/v1/products").json()["total"]
    assert stats["datasets"]["listed"] == client.get("/api/v1/datasets").json()["total"]
    assert stats["products"]["target"] == 300 and stats["datasets"]["target"] == 50


def test_healthz_reports_database_and_index(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"
    assert body["index"]["lag"] == 0 and body["index"]["documents"] > 0


def test_products_filter_and_sort_by_metadata_quality(client: TestClient) -> None:
    every = client.get("/api/v1/products", params={"per_page": 100}).json()
    grades = {f["value"]: f["count"] for f in every["facets"]["quality"]}
    assert grades and sum(grades.values()) == every["total"]
    for grade, count in grades.items():
        assert client.get("/api/v1/products", params={"quality": grade}).json()["total"] == count
    best = client.get("/api/v1/products", params={"sort": "quality", "per_page": 10}).json()["items"]
    scores = []
    for item in best:
        html = client.get(f"/products/{item['id']}").text
        scores.append(int(re.search(r"(\d+)/100", html).group(1)))  # type: ignore[union-attr]
    assert scores == sorted(scores, reverse=True)
