"""Public pages through the ASGI app, on the seeded catalog."""

import re

import pytest
from starlette.testclient import TestClient


def first_product(client: TestClient) -> dict:
    return client.get("/api/v1/products", params={"per_page": 1, "sort": "newest"}).json()["items"][0]


def test_home_shows_progress_toward_the_targets(client: TestClient) -> None:
    stats = client.get("/api/v1/stats").json()
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    assert f"<strong>{stats['products']['listed']}</strong></a> / 300" in page.text
    assert f"<strong>{stats['datasets']['counted']}</strong></a> / 50" in page.text
    assert "淮安市数据港" in page.text


def test_browse_pages_through_every_listed_product(client: TestClient) -> None:
    total = client.get("/api/v1/products").json()["total"]
    seen: set[str] = set()
    page = 1
    while True:
        html = client.get("/products", params={"page": page}).text
        found = re.findall(r'<h3><a href="/products/([a-z0-9-]+)">', html)
        if not found:
            break
        seen.update(found)
        page += 1
    assert len(seen) == total


def test_browse_filters_by_sector(client: TestClient) -> None:
    html = client.get("/products", params={"sector": "tourism"}).text
    count = client.get("/api/v1/products", params={"sector": "tourism"}).json()["total"]
    assert f"{count} 个数据产品" in html or f"{count} data products" in html


@pytest.mark.both_backends
def test_product_page_shows_lineage_licence_price_and_request_button(client: TestClient) -> None:
    item = first_product(client)
    detail = client.get(f"/api/v1/products/{item['id']}").json()
    html = client.get(item["url"]).text
    for source in detail["source_datasets"]:
        assert f'href="/datasets/{source["id"]}"' in html
    assert detail["license"]["name"] in html
    assert f'href="/products/{item["id"]}/request"' in html
    assert client.get(f"/products/{item['id']}/request").status_code == 200


def test_dataset_page_shows_schema_and_products_built_on_it(client: TestClient) -> None:
    product = client.get(f"/api/v1/products/{first_product(client)['id']}").json()
    code = product["source_datasets"][0]["id"]
    html = client.get(f"/datasets/{code}").text
    assert "<table>" in html and f'href="/products/{product["id"]}"' in html


def test_organization_page_lists_its_listings(client: TestClient) -> None:
    html = client.get("/organizations/sjj").text
    assert "淮安市数据局" in html and "/datasets/HA-SJJ-" in html


def test_unknown_product_answers_a_helpful_404_page(client: TestClient) -> None:
    response = client.get("/products/no-such-product")
    assert response.status_code == 404
    assert 'role="search"' in response.text and 'href="/products"' in response.text


def test_draft_product_page_is_not_found(client: TestClient) -> None:
    from catalog.products.models import DataProduct  # noqa: F401  (documents what a draft is)

    drafts = client.get("/api/v1/products", params={"status": "draft"})
    assert drafts.status_code == 422  # the public cannot even ask for drafts


def test_english_switch_is_remembered_in_a_cookie(client: TestClient) -> None:
    response = client.get("/", params={"lang": "en"})
    assert '<html lang="en">' in response.text and "Huai'an Data Port" in response.text
    assert response.cookies.get("lang") == "en"
    assert '<html lang="en">' in client.get("/products").text
    client.cookies.clear()
    assert '<html lang="zh-Hans">' in client.get("/products").text


def test_search_page_marks_matched_words(client: TestClient) -> None:
    html = client.get("/search", params={"q": "公交"}).text
    assert "<mark>公交</mark>" in html


@pytest.mark.parametrize("q", ["title:(", '"unclosed', "AND", "x" * 5000, "\x00\x07"])
def test_malformed_search_answers_a_page_not_an_error(client: TestClient, q: str) -> None:
    assert client.get("/search", params={"q": q}).status_code == 200


def test_invalid_page_number_explains_itself(client: TestClient) -> None:
    response = client.get("/products", params={"page": "abc"})
    assert response.status_code == 422 and "page" in response.text


def test_pages_load_nothing_from_other_origins(client: TestClient) -> None:
    loaded = re.compile(r'(?:src="([^"]*)"|<link[^>]*href="([^"]*)")')
    for path in ("/", "/products", "/datasets", "/organizations", first_product(client)["url"]):
        for match in loaded.finditer(client.get(path).text):
            url = match.group(1) or match.group(2)
            assert url.startswith("/") and not url.startswith("//"), (path, url)


def test_favicon_is_served(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.content[:4] == b"\x00\x00\x01\x00"


def test_a_search_with_no_hits_offers_a_correction_that_finds_something(client: TestClient) -> None:
    html = client.get("/products", params={"q": "gongjaio"}).text
    assert '您是不是要找：<a href="/products?q=gongjiao">gongjiao</a>？' in html
    assert client.get("/api/v1/products", params={"q": "gongjiao"}).json()["total"] > 0


def test_ignored_query_syntax_is_explained_on_the_page(client: TestClient) -> None:
    html = client.get("/search", params={"q": "((("}).text
    assert "无法识别的检索符号" in html


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest", "title", "requests"])
def test_every_sort_order_is_offered_and_accepted(client: TestClient, sort: str) -> None:
    response = client.get("/products", params={"q": "数据", "sort": sort})
    assert response.status_code == 200 and f'value="{sort}" selected' in response.text


def test_search_api_answers_both_catalogs(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "公交"}).json()
    assert body["query"] == "公交" and body["products"]["total"] > 0 and body["datasets"]["total"] > 0
    assert client.get("/api/v1/search").json()["error"]["code"] == "bad_request"


def test_search_api_applies_the_filters_to_both_catalogs(client: TestClient) -> None:
    everything = client.get("/api/v1/search", params={"q": "数据"}).json()
    sector = everything["datasets"]["facets"]["sector"][0]
    body = client.get("/api/v1/search", params={"q": "数据", "sector": sector["value"]}).json()
    assert body["datasets"]["total"] == sector["count"] < everything["datasets"]["total"]
    assert all(sector["value"] in {s["id"] for s in d["sectors"]} for d in body["datasets"]["items"])


@pytest.mark.parametrize("q", ["OR", "AND", "NOT", "(((", "!!!"])
def test_a_query_of_nothing_but_syntax_finds_nothing_and_says_so(client: TestClient, q: str) -> None:
    body = client.get("/api/v1/products", params={"q": q}).json()
    assert body["total"] == 0 and body["simplified"] is True
