"""schema.org ``Dataset`` JSON-LD in product and dataset pages: read back from the HTML as a search engine
would, with Google Dataset Search's properties, and unbreakable by what a title holds."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db
from catalog.app import create_app
from catalog.permissions import SYSTEM
from catalog.products import services as products
from catalog.products.models import DataProduct, ProductCreate
from catalog.settings import Settings
from catalog.validation import parse

HOSTILE = "</script><script>alert(1)</script><!-- 淮安 & “港” \u2028 -->"


class Scripts(HTMLParser):
    """The ``<script>`` elements of a page, as an HTML parser splits them: (attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.found.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.found[-1]
            self.found[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def scripts(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = Scripts()
    parser.feed(html)
    return parser.found


def jsonld(html: str) -> dict[str, Any]:
    """The page's one JSON-LD block, parsed."""
    blocks = [text for attrs, text in scripts(html) if attrs.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    return json.loads(blocks[0])


def local(url: str, base: str) -> str:
    assert url.startswith(base + "/"), url
    return url[len(base) :]


def first_listed(client: TestClient, kind: str, **params: str) -> str:
    items = client.get(f"/api/v1/{kind}", params={"per_page": "100", **params}).json()["items"]
    assert items
    return items[0]["id"]


REQUIRED = (
    "name",
    "description",
    "url",
    "identifier",
    "keywords",
    "license",
    "creator",
    "publisher",
    "isAccessibleForFree",
    "includedInDataCatalog",
    "distribution",
    "inLanguage",
    "dateModified",
    "datePublished",
    "spatialCoverage",
)


def check_common(doc: dict[str, Any], client: TestClient, base: str, path: str) -> None:
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "Dataset"
    assert [p for p in REQUIRED if p not in doc] == []
    assert doc["url"] == base + path
    assert 50 <= len(doc["description"]) <= 5000
    assert doc["license"].startswith(("http://", "https://"))
    assert doc["creator"]["@type"] == "Organization" and doc["creator"]["name"]
    assert client.get(local(doc["creator"]["url"], base)).status_code == 200
    assert doc["includedInDataCatalog"]["@type"] == "DataCatalog"
    assert doc["includedInDataCatalog"]["name"] == "淮安市数据港"
    assert doc["spatialCoverage"]["name"].startswith("淮安")
    for download in doc["distribution"]:
        assert download["@type"] == "DataDownload" and download["encodingFormat"]
        fetched = client.get(local(download["contentUrl"], base))
        assert fetched.status_code == 200, download
        assert fetched.headers["content-type"].startswith(download["encodingFormat"])


@pytest.mark.both_backends
def test_a_product_page_describes_the_product_for_dataset_search(client: TestClient) -> None:
    slug = first_listed(client, "products", type="api")
    base = client.app.state.settings.base_url  # type: ignore[attr-defined]
    product = client.get(f"/api/v1/products/{slug}").json()
    doc = jsonld(client.get(f"/products/{slug}").text)
    check_common(doc, client, base, f"/products/{slug}")
    assert doc["name"] == product["title"] and doc["alternateName"] == product["title_en"]
    assert doc["identifier"][0] == product["listing_no"]
    assert set(product["tags"]) <= set(doc["keywords"])
    assert doc["creator"]["name"] == product["provider"]["name"]
    assert doc["isAccessibleForFree"] is (product["price_model"] == "free")
    assert doc["isBasedOn"] == [base + d["url"] for d in product["source_datasets"]]
    assert doc["datePublished"] == product["listed_at"][:10]
    urls = [d["contentUrl"] for d in doc["distribution"]]
    assert f"{base}/products/{slug}/datapackage.json" in urls  # an API product: its fields as a package
    assert f"{base}/api/v1/products/{slug}" in urls
    assert [v["name"] for v in doc["variableMeasured"]] == [f["name"] for f in product["output_fields"]]


def test_a_free_product_is_accessible_for_free(client: TestClient) -> None:
    slug = first_listed(client, "products", price_model="free")
    assert jsonld(client.get(f"/products/{slug}").text)["isAccessibleForFree"] is True


def test_a_dataset_page_describes_the_dataset_for_dataset_search(client: TestClient) -> None:
    code = first_listed(client, "datasets")
    base = client.app.state.settings.base_url  # type: ignore[attr-defined]
    dataset = client.get(f"/api/v1/datasets/{code}").json()
    doc = jsonld(client.get(f"/datasets/{code}").text)
    check_common(doc, client, base, f"/datasets/{code}")
    assert doc["name"] == dataset["title"] and doc["identifier"] == code
    assert doc["isAccessibleForFree"] is (dataset["sharing_condition"] == "unconditional")
    assert doc["conditionsOfAccess"]
    assert doc["license"] == "https://data.huaian.gov.cn/licences/hadp-standard"
    if dataset["temporal_start"]:
        assert doc["temporalCoverage"].startswith(dataset["temporal_start"] + "/")
    assert [v["name"] for v in doc["variableMeasured"]] == [f["name"] for f in dataset["schema_fields"]]


# --- with products of our own ----------------------------------------------------------------------
def list_product(seeded_engine: Engine, **changes: Any) -> str:
    """A listed product made through the import service, like a seeded one but with ``changes``."""
    with Session(seeded_engine) as session:
        model = session.exec(select(DataProduct).where(DataProduct.status == "listed")).first()
        assert model is not None
        data = products.product_input(session, model)
    data.update(status="listed", listed_at=dt.date.today().isoformat(), **changes)
    with db.session_scope(seeded_engine) as session:
        assert products.import_product(session, SYSTEM, parse(ProductCreate, data))
    return data["slug"]


def test_a_hostile_title_stays_inside_its_json_ld(seeded_settings: Settings, seeded_engine: Engine) -> None:
    slug = list_product(seeded_engine, slug="hostile-title", title=HOSTILE, title_en=HOSTILE, summary=HOSTILE)
    with TestClient(create_app(seeded_settings)) as client:
        page = client.get(f"/products/{slug}")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    found = scripts(page.text)
    assert [attrs.get("type") for attrs, _ in found] == ["application/ld+json"]  # nothing broke out
    text = found[0][1]
    assert "<" not in text and ">" not in text and "&" not in text
    doc = json.loads(text)
    assert doc["name"] == HOSTILE and doc["alternateName"] == HOSTILE
    assert HOSTILE in doc["description"]


def test_a_short_description_is_filled_out_to_fifty_characters(
    seeded_settings: Settings, seeded_engine: Engine
) -> None:
    slug = list_product(
        seeded_engine,
        slug="short-words",
        summary="淮安短摘要",
        description="淮安短描述文字共十个",
        summary_en="",
        description_en="",
    )
    with TestClient(create_app(seeded_settings)) as client:
        doc = jsonld(client.get(f"/products/{slug}").text)
    assert len(doc["description"]) >= 50
    assert doc["description"].startswith("淮安短摘要 淮安短描述文字共十个")


def test_the_content_security_policy_keeps_scripts_to_the_site(client: TestClient) -> None:
    """JSON-LD is data, not script: the policy that forbids inline scripts stays as strict as it is."""
    slug = first_listed(client, "products")
    page = client.get(f"/products/{slug}")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert all(attrs.get("type") == "application/ld+json" for attrs, _ in scripts(page.text))
