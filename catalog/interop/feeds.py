"""The Atom 1.0 feed (RFC 4287) of newly listed products: ``/feed.atom``, newest first, and
``/feed.atom?sector=<slug>`` (repeatable: products of any of the sectors). An unknown sector answers
404 rather than an empty feed that would look like a quiet sector. ``?lang=en`` gives the English titles
and summaries where a product has them."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog import i18n
from catalog.errors import NotFound
from catalog.i18n import N_
from catalog.listings.filters import ProductFilters
from catalog.listings.urls import favicon_url, feed_url, home_url, organization_url, products_url
from catalog.products.models import ProductSummary
from catalog.sectors import services as sectors
from catalog.sectors.models import SectorPublic
from catalog.web import call

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ENTRIES = 50
PORT_NAME = N_("Huai'an Data Port")
FEED_TITLE = N_("Newly listed data products")
FEED_SUBTITLE = N_("Data products newly listed on the Huai'an Data Port, newest first.")
LANGUAGE_TAGS = {"zh": "zh-CN", "en": "en"}
# characters XML 1.0 cannot carry at all: a stray one in a title must not make the feed unreadable
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class FeedContext:
    """What a feed is about: the site's address (no trailing slash), the language, the sectors asked
    for, and the query string that asked for them."""

    base: str
    language: str
    chosen: list[SectorPublic]
    query: str

    def pick(self, zh: str, en: str) -> tuple[str, str]:
        """The text in the feed's language where there is one, and its language tag."""
        if self.language == "en" and en:
            return en, LANGUAGE_TAGS["en"]
        return zh or en, LANGUAGE_TAGS["zh"] if zh else LANGUAGE_TAGS["en"]


def build_feed(items: list[ProductSummary], context: FeedContext) -> bytes:
    """The feed document for ``items`` (newest first), as UTF-8 XML."""
    base = context.base
    # Atom as the default namespace, declared by hand: ElementTree would otherwise invent a prefix
    feed = ET.Element("feed", {"xmlns": ATOM, XML_LANG: LANGUAGE_TAGS[context.language]})
    self_url = base + feed_url() + (f"?{context.query}" if context.query else "")
    _text(feed, "id", self_url)
    _text(feed, "title", _title(context))
    _text(feed, "subtitle", i18n.gettext(FEED_SUBTITLE))
    newest = max((p.listed_at for p in items if p.listed_at), default=None)
    _text(feed, "updated", _rfc3339(newest or dt.datetime.now(dt.UTC)))
    ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sector_query = urlencode([("sector", s.id) for s in context.chosen])
    ET.SubElement(
        feed,
        "link",
        rel="alternate",
        type="text/html",
        href=base + products_url() + (f"?{sector_query}" if sector_query else ""),
    )
    author = ET.SubElement(feed, "author")
    _text(author, "name", i18n.gettext(PORT_NAME))
    _text(author, "uri", base + home_url())
    _text(feed, "icon", base + favicon_url())
    for product in items:
        _entry(feed, product, context)
    # typeshed gives Any for a named encoding; it is bytes for every encoding but "unicode"
    return cast(bytes, ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _entry(feed: ET.Element, product: ProductSummary, context: FeedContext) -> None:
    base = context.base
    url = base + product.url
    listed = _rfc3339(product.listed_at or dt.datetime.now(dt.UTC))
    entry = ET.SubElement(feed, "entry")
    _text(entry, "id", url)  # the product's address: fixed for its life (slugs never change)
    title, title_lang = context.pick(product.title, product.title_en)
    _text(entry, "title", title, {XML_LANG: title_lang, "type": "text"})
    ET.SubElement(entry, "link", rel="alternate", type="text/html", href=url)
    _text(entry, "published", listed)
    _text(entry, "updated", listed)
    author = ET.SubElement(entry, "author")
    name, name_lang = context.pick(product.provider.name, product.provider.name_en)
    _text(author, "name", name, {XML_LANG: name_lang})
    _text(author, "uri", base + organization_url(product.provider.id))
    summary, summary_lang = context.pick(product.summary, product.summary_en)
    if summary:
        _text(entry, "summary", summary, {XML_LANG: summary_lang, "type": "text"})
    for sector in product.sectors:
        label, _ = context.pick(sector.name, sector.name_en)
        ET.SubElement(
            entry, "category", term=sector.id, label=_clean(label), scheme=base + products_url() + "?sector="
        )


def _title(context: FeedContext) -> str:
    parts = [i18n.gettext(PORT_NAME), i18n.gettext(FEED_TITLE)]
    parts += [context.pick(s.name, s.name_en)[0] for s in context.chosen]
    return " · ".join(parts)


def _text(parent: ET.Element, name: str, text: str, attributes: dict[str, str] | None = None) -> ET.Element:
    element = ET.SubElement(parent, name, attributes or {})
    element.text = _clean(text)
    return element


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _rfc3339(value: dt.datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def feed(request: Request) -> Response:
    """``GET /feed.atom``: the newest listed products, of the sectors asked for."""
    settings = request.app.state.settings
    wanted = list(dict.fromkeys(s for s in request.query_params.getlist("sector") if s))
    known = {s.id: s for s in await call(request, sectors.list_sectors)}
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise NotFound(f"no sector {unknown[0]!r}")
    asked = request.query_params.get("lang")
    language = asked if asked in i18n.LANGUAGES else settings.default_language
    filters = ProductFilters(sector=wanted, sort="newest", per_page=ENTRIES)
    page = await request.app.state.search.page("product", filters, facets=False)
    query = urlencode([("sector", s) for s in wanted] + ([("lang", language)] if asked == language else []))
    context = FeedContext(settings.base_url.rstrip("/"), language, [known[s] for s in wanted], query)
    token = i18n.current_language.set(language)
    try:
        body = build_feed(page.items, context)
    finally:
        i18n.current_language.reset(token)
    return Response(body, headers={"content-type": MEDIA_TYPE})


routes = [Route("/feed.atom", feed, name="feeds.products")]
