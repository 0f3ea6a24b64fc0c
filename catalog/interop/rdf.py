"""What the linked-data doors share: vocabularies, the URIs of the port's things, the listed products
read through the services, a cache kept until the catalog changes, and a licence's ODRL policy made
concrete for one item (used by the DCAT-AP export and the Dataspace Protocol catalog alike)."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar, cast

from rdflib import Namespace, URIRef
from sqlmodel import Session

from catalog.indexing.queries import newest_change
from catalog.licences.models import LicenceRef
from catalog.licences.services import as_odrl, licence_url
from catalog.listings.urls import catalog_url, dataset_url, organization_url, product_url
from catalog.products.models import ProductDetail
from catalog.products.queries import listed_product_details

T = TypeVar("T")

# Plain namespaces (not rdflib's closed ones, which warn on terms they do not list, such as
# licences' own ODRL actions). A term that is also a str method is indexed: ``DCT["format"]``.
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
CC = Namespace("http://creativecommons.org/ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
PREFIXES = {"dcat": DCAT, "dct": DCT, "foaf": FOAF, "odrl": ODRL, "prov": PROV, "skos": SKOS}
PREFIXES |= {"vcard": VCARD, "xsd": XSD, "adms": ADMS, "rdfs": RDFS}

# Language tags: the Chinese is Simplified; the region does not matter to the text.
ZH, EN = "zh-Hans", "en"

# The EU vocabularies DCAT-AP asks for.
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = {
    "realtime": "CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
}
SHARING_ACCESS = {"unconditional": "PUBLIC", "conditional": "RESTRICTED", "none": "NON_PUBLIC"}

# Huai'an's administrative division code (GB/T 2260), the catalog's and every item's coverage.
REGION_CODE = "320800"


def frequency(value: str) -> URIRef:
    return URIRef(f"{EU}frequency/{FREQUENCY.get(value, 'UNKNOWN')}")


def access_right(code: str) -> URIRef:
    return URIRef(f"{EU}access-right/{code}")


@dataclass(frozen=True)
class Uris:
    """Stable URIs under the configured base URL. An item is ``<its page>#dataset``: the page is its
    landing page and ``<its page>.ttl``/``.jsonld`` its descriptions; what has no page of its own
    (sectors, the publisher, Huai'an) is a fragment of ``/catalog``, which redirects to the export."""

    base: str

    def page(self, path: str) -> URIRef:
        return URIRef(self.base + path)

    def catalog(self, part: str = "") -> URIRef:
        return URIRef(self.base + catalog_url() + (f"#{part}" if part else ""))

    def publisher(self) -> URIRef:
        return self.catalog("publisher")

    def sectors(self) -> URIRef:
        return self.catalog("sectors")

    def sector(self, slug: str) -> URIRef:
        return self.catalog(f"sector-{slug}")

    def region(self) -> URIRef:
        return self.catalog(f"region-{REGION_CODE}")

    def dsp_service(self) -> URIRef:
        return URIRef(f"{self.base}/dsp")

    def product(self, slug: str, part: str = "dataset") -> URIRef:
        return URIRef(f"{self.base}{product_url(slug)}#{part}")

    def dataset(self, code: str, part: str = "dataset") -> URIRef:
        return URIRef(f"{self.base}{dataset_url(code)}#{part}")

    def agent(self, slug: str, part: str = "agent") -> URIRef:
        return URIRef(f"{self.base}{organization_url(slug)}#{part}")

    def licence(self, licence: LicenceRef) -> URIRef:
        """The licence's own address when it has one (the Creative Commons deeds), else its API page."""
        return URIRef(licence_url(licence, self.base))

    def product_slug(self, identifier: str) -> str:
        """The slug in a product's URI (or the slug itself)."""
        prefix, suffix = f"{self.base}{product_url('')}", "#dataset"
        if identifier.startswith(prefix) and identifier.endswith(suffix):
            return identifier[len(prefix) : -len(suffix)]
        return identifier


# --- reading --------------------------------------------------------------------------------------
def catalog_version(session: Session) -> str:
    """Changes with every change to anything the exports show: the newest ChangeLog row (every write
    appends one), by number and time, as a restored database numbers its next changes again."""
    newest = newest_change(session)
    if newest is None:
        return "0"
    seq, mark = newest
    return f"{seq}.{zlib.crc32(mark.encode()):08x}"


class CatalogCache:
    """Values built from the whole catalog, kept until its next change; one build at a time, so that
    harvesters arriving together wait for the first instead of building alongside it."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, Any]] = {}
        self._lock = threading.RLock()  # a build may use another cached value

    def get(self, key: str, version: str, build: Callable[[], T]) -> T:
        with self._lock:
            kept = self._values.get(key)
            if kept is not None and kept[0] == version:
                return cast(T, kept[1])  # what build gave for this key
            value = build()
            self._values[key] = (version, value)
            return value


def cached_products(cache: CatalogCache, session: Session, version: str) -> list[ProductDetail]:
    """The listed products, read once per catalog version for every door that shows them."""
    return cache.get("listed_products", version, lambda: listed_product_details(session))


def catalog_cache(state: Any) -> CatalogCache:
    """The application's cache (``app.state``), made on first use (on the event loop: no race)."""
    cache: CatalogCache | None = getattr(state, "linked_data_cache", None)
    if cache is None:
        cache = state.linked_data_cache = CatalogCache()
    return cache


# --- a licence's ODRL policy, for one item --------------------------------------------------------
RULE_KINDS = ("permission", "prohibition", "obligation")
NESTED_RULES = ("duty", "remedy", "consequence")  # a permission's duties, a prohibition's remedies, …
LOGICAL = ("and", "or", "xone", "andSequence")
_TERM_PREFIXES = {"odrl": str(ODRL), "cc": str(CC), "xsd": str(XSD)}


@dataclass(frozen=True)
class Operand:
    """A right operand: a literal (with a language or a datatype) or an IRI."""

    value: str
    datatype: str | None = None
    language: str | None = None
    iri: bool = False


@dataclass(frozen=True)
class Constraint:
    left: str
    operator: str
    right: tuple[Operand, ...]


@dataclass(frozen=True)
class Logical:
    operator: str  # one of LOGICAL
    parts: tuple[Constraint | Logical, ...]


@dataclass(frozen=True)
class Rule:
    """One action, its constraints and its nested rules (``("duty", rule)``, …); a licence's rule with
    several actions becomes one rule per action."""

    action: str
    constraints: tuple[Constraint | Logical, ...] = ()
    nested: tuple[tuple[str, Rule], ...] = ()


@dataclass(frozen=True)
class Policy:
    permission: tuple[Rule, ...]
    prohibition: tuple[Rule, ...]
    obligation: tuple[Rule, ...]

    def rules(self) -> Iterator[tuple[str, tuple[Rule, ...]]]:
        """The non-empty rule lists by their ODRL name."""
        for kind in RULE_KINDS:
            if getattr(self, kind):
                yield kind, getattr(self, kind)


def term(value: object) -> str | None:
    """The IRI an ODRL action, operator or operand names: ``use``, ``odrl:use``, a full IRI, or an
    object ``{"@id": …}`` / ``{"rdf:value": …}`` (a refined action, whose refinement is not kept)."""
    if isinstance(value, dict):
        return term(value.get("@id") or value.get("id") or value.get("rdf:value"))
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    prefix, colon, name = value.partition(":")
    if not colon:
        return str(ODRL[value])
    return _TERM_PREFIXES[prefix] + name if prefix in _TERM_PREFIXES else value


@dataclass(frozen=True)
class Terms:
    """What fills a licence's placeholders: an item's permitted purpose and usage term, if it has them."""

    purpose: str = ""
    months: int | None = None


def licence_policy(odrl: dict[str, Any], terms: Terms) -> Policy:
    """A licence's ODRL policy for one item, its placeholders filled from ``terms``: the permitted
    purpose, and the usage term (counted from delivery) as ODRL's elapsed time of so many months.
    Placeholders naming parties that exist only once a request is approved (``licensee``,
    ``registered_research_team``), or terms the item does not give, stay as the licence names them."""
    stored = as_odrl(odrl)
    return Policy(*(tuple(_rules(stored.get(kind), terms)) for kind in RULE_KINDS))


def product_policy(product: ProductDetail) -> Policy:
    """The product's licence as an ODRL policy with the product's purpose and term; a priced product's
    permissions carry the duty to pay (``odrl:compensate``) its fee, at most the cap it is held to
    (65号: ``odrl:payAmount`` equal to the price, and no more than the cap)."""
    terms = Terms(product.permitted_purpose, product.usage_term_months)
    policy = licence_policy(product.license_detail.odrl, terms)
    pay = _payment(product)
    if pay is None:
        return policy
    permissions = tuple(Rule(r.action, r.constraints, (*r.nested, ("duty", pay))) for r in policy.permission)
    return Policy(permissions, policy.prohibition, policy.obligation)


def _payment(product: ProductDetail) -> Rule | None:
    """The duty to pay a priced product's fee, within its cap (in the cap's base unit)."""
    constraints: list[Constraint | Logical] = []
    if product.price is not None:
        constraints.append(Constraint(str(ODRL.payAmount), str(ODRL.eq), (_decimal(product.price),)))
    if product.price_cap is not None:
        constraints.append(
            Constraint(str(ODRL.payAmount), str(ODRL.lteq), (_decimal(product.price_cap.amount),))
        )
    return Rule(str(ODRL.compensate), tuple(constraints)) if constraints else None


def _decimal(value: float) -> Operand:
    return Operand(f"{Decimal(str(value)):f}", datatype=str(XSD.decimal))


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _rules(value: Any, terms: Terms) -> Iterator[Rule]:
    for rule in _listed(value):
        if not isinstance(rule, dict):
            continue
        found = (_constraint(item, terms) for item in _listed(rule.get("constraint")))
        constraints = tuple(c for c in found if c)
        nested = tuple((name, r) for name in NESTED_RULES for r in _rules(rule.get(name), terms))
        for action in filter(None, map(term, _listed(rule.get("action")))):
            yield Rule(action, constraints, nested)


def _constraint(item: Any, terms: Terms) -> Constraint | Logical | None:
    if not isinstance(item, dict):
        return None
    for name in LOGICAL:
        if name in item:
            parts = item[name].get("@list", []) if isinstance(item[name], dict) else _listed(item[name])
            found = tuple(c for c in (_constraint(p, terms) for p in parts) if c)
            return Logical(name, found) if found else None
    left, operator = term(item.get("leftOperand")), term(item.get("operator"))
    right = item.get("rightOperand")
    if left is None or operator is None:
        return None
    if right == "usage_term_end" and left == str(ODRL.dateTime) and terms.months:
        months = Operand(f"P{terms.months}M", datatype=str(XSD.duration))
        return Constraint(str(ODRL.elapsedTime), operator, (months,))
    if right == "permitted_purpose" and terms.purpose:
        return Constraint(left, operator, (Operand(terms.purpose, language=ZH),))
    return Constraint(left, operator, tuple(_operands(right)))


def _operands(value: Any) -> Iterator[Operand]:
    for item in _listed(value):
        if isinstance(item, dict) and (item.get("@id") or item.get("id")):
            yield Operand(str(item.get("@id") or item.get("id")), iri=True)
        elif isinstance(item, dict) and "@value" in item:
            datatype = term(item["@type"]) if item.get("@type") else None
            yield Operand(str(item["@value"]), datatype=datatype, language=item.get("@language"))
        elif isinstance(item, bool):
            yield Operand(str(item).lower(), datatype=str(XSD.boolean))
        elif isinstance(item, int):
            yield Operand(str(item), datatype=str(XSD.integer))
        elif isinstance(item, float | Decimal):
            yield Operand(str(item), datatype=str(XSD.decimal))
        elif isinstance(item, str):
            yield Operand(item, iri=item.startswith(("http://", "https://")))
