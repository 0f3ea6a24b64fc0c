"""The Atom feed of newly listed products, read as a feed reader would (feedparser) and checked for the
elements RFC 4287 requires; the sector filter, the language, autodiscovery, and escaping."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import feedparser
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

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def read(client: TestClient, query: str = "") -> tuple[Any, ET.Element]:
    answer = client.get("/feed.atom" + query)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(answer.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed, ET.fromstring(answer.content)


def check_structure(root: ET.Element) -> None:
    """What RFC 4287 requires of a feed and its entries (an author on every entry, here)."""
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated", "author/" + A + "name"):
        assert (root.findtext(A + name) or "").strip(), name
    assert [link.get("type") for link in root.findall(f"{A}link[@rel='self']")] == ["application/atom+xml"]
    for entry in root.findall(f"{A}entry"):
        for name in ("id", "title", "updated", "published", "summary", "author/" + A + "name"):
            assert (entry.findtext(A + name) or "").strip(), name
        assert entry.find(f"{A}link[@rel='alternate']") is not None
        assert entry.find(f"{A}title").get(XML_LANG)  # type: ignore[union-attr]


@pytest.mark.both_backends
def test_the_feed_holds_the_newest_listed_products_first(client: TestClient) -> None:
    parsed, root = read(client)
    check_structure(root)
    assert root.get(XML_LANG) == "zh-CN"
    newest = client.get("/api/v1/products", params={"sort": "newest", "per_page": 50}).json()["items"]
    base = client.app.state.settings.base_url  # type: ignore[attr-defined]
    assert [e.link for e in parsed.entries] == [base + p["url"] for p in newest]
    assert len(parsed.entries) == 50
    published = [e.published_parsed for e in parsed.entries]
    assert published == sorted(published, reverse=True)
    first, product = parsed.entries[0], newest[0]
    assert first.id == base + product["url"] and first.title == product["title"]
    assert first.author == product["provider"]["name"]
    assert {t.term for t in first.tags} == {s["id"] for s in product["sectors"]}
    assert parsed.feed.updated == first.updated


def test_a_sector_feed_holds_only_that_sectors_products(client: TestClient) -> None:
    listed = client.get("/api/v1/products", params={"sector": "transport", "per_page": 1}).json()["total"]
    parsed, root = read(client, "?sector=transport")
    check_structure(root)
    assert len(parsed.entries) == min(listed, 50) > 0
    assert all("transport" in {t.term for t in e.tags} for e in parsed.entries)
    assert parsed.feed.links[0].href.endswith("/feed.atom?sector=transport")  # rel=self


def test_an_unknown_sector_is_not_found(client: TestClient) -> None:
    assert client.get("/feed.atom?sector=no-such-sector").status_code == 404


def test_the_english_feed_gives_english_titles(client: TestClient) -> None:
    parsed, root = read(client, "?lang=en")
    assert root.get(XML_LANG) == "en"
    newest = client.get("/api/v1/products", params={"sort": "newest", "per_page": 1}).json()["items"][0]
    assert parsed.entries[0].title == newest["title_en"]
    assert root.find(f"{A}entry/{A}title").get(XML_LANG) == "en"  # type: ignore[union-attr]


def test_pages_link_the_feed_for_autodiscovery(client: TestClient) -> None:
    home = client.get("/").text
    assert '<link rel="alternate" type="application/atom+xml"' in home and 'href="/feed.atom"' in home
    sector_page = client.get("/products?sector=transport").text
    assert 'href="/feed.atom?sector=transport&amp;lang=zh"' in sector_page
    product = client.get("/api/v1/products", params={"per_page": 1}).json()["items"][0]
    page = client.get(f"/products/{product['id']}").text
    assert f'href="/feed.atom?sector={product["sectors"][0]["id"]}"' in page


def test_a_new_listing_heads_the_feed_with_its_text_escaped(seeded_settings: Settings) -> None:
    engine: Engine = db.make_engine(seeded_settings.database_url)
    title = "淮安<冷链> & “溯源” ]]> 指数\x0b"
    with Session(engine) as session:
        model = session.exec(select(DataProduct).where(DataProduct.status == "listed")).first()
        assert model is not None
        data = products.product_input(session, model)
    data.update(slug="cold-chain-feed", title=title, status="listed", listed_at=dt.date.today().isoformat())
    with db.session_scope(engine) as session:
        assert products.import_product(session, SYSTEM, parse(ProductCreate, data))
    engine.dispose()
    with TestClient(create_app(seeded_settings)) as client:
        parsed, root = read(client, "?sector=" + data["sectors"][0])
    check_structure(root)
    assert parsed.entries[0].link.endswith("/products/cold-chain-feed")
    assert parsed.entries[0].title == "淮安<冷链> & “溯源” ]]> 指数"  # the control character dropped
