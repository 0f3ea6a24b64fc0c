"""How the catalog looks to CKAN: listed products and datasets as packages, organizations, sectors as
groups, licences; and CKAN's search language (``fq``, ``sort``, facets) over the listed packages.

The choices (README, "CKAN Action API"): only *listed* items are packages — items in publicity may
still be withdrawn after an objection, and a harvester copying them would spread what may vanish. A
product's id and name are its slug; a dataset's id is its resource code (``HA-JTJ-001``) and its name
the code in lower case with ``_`` for ``-`` (``ha_jtj_001``): product slugs never hold ``_``, so the
names of the two catalogs never collide. Datasets carry no licence of their own: as in their schema.org
JSON-LD, they name the port's authorized-operation agreement (CKAN's ``notspecified`` when the catalog
lacks it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, cast

from sqlmodel import Session

from catalog.accounts import services as accounts
from catalog.accounts.models import OrganizationPublic
from catalog.accounts.queries import organizations_created
from catalog.datasets import queries as dataset_queries
from catalog.datasets import services as datasets
from catalog.datasets.models import DatasetDetail
from catalog.errors import NotFound
from catalog.interop.schemaorg import DATASET_LICENCE
from catalog.licences import services as licences
from catalog.licences.models import LicencePublic
from catalog.listings.states import is_listed
from catalog.listings.urls import product_sample_url
from catalog.permissions import ANONYMOUS
from catalog.products import queries as product_queries
from catalog.products import services as products
from catalog.products.models import ProductDetail
from catalog.sectors import services as sectors
from catalog.sectors.models import SectorPublic
from catalog.vocabularies import label
from search_index.analysis import title_sort_key

NOT_SPECIFIED = "notspecified"
_NAME = re.compile(r"[a-z0-9_-]{2,100}")
_TAG = re.compile(r"[\w .-]{2,100}")  # CKAN's tag rule: other tags would fail a harvester's import
DELIVERY_FORMATS = {
    "api": "API",
    "file": "File",
    "sandbox": "Sandbox",
    "platform": "Web",
    "offline": "Offline",
}


# --- names and values -----------------------------------------------------------------------------
def product_name(slug: str) -> str:
    """A product's CKAN name: its slug, or for a slug CKAN cannot take, a stable derivative of it."""
    if _NAME.fullmatch(slug):
        return slug
    base = re.sub(r"[^a-z0-9-]+", "-", slug.lower()).strip("-")[:90]
    return f"{base}-{hashlib.sha1(slug.encode()).hexdigest()[:8]}"


def dataset_name(code: str) -> str:
    """A dataset's CKAN name: ``HA-JTJ-001`` -> ``ha_jtj_001`` (always with a ``_``)."""
    name = re.sub(r"[^a-z0-9_]", "_", code.lower())
    return name if "_" in name else f"dataset_{name}"


def dataset_codes_for(name: str) -> list[str]:
    """The resource codes whose CKAN name ``name`` may be."""
    candidates = [name.upper().replace("_", "-")]
    if name.startswith("dataset_"):
        candidates.append(name.removeprefix("dataset_").upper())
    return [code for code in candidates if dataset_name(code) == name]


def timestamp(value: dt.datetime | dt.date | None) -> str | None:
    """CKAN's timestamps: ISO 8601 in UTC without a zone (``2024-05-01T09:30:00``)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return utc(value).isoformat()
    return value.isoformat()


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` as a naive UTC time (the database gives naive UTC times, or aware ones)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def ckan_tags(words: Iterable[Any]) -> list[str]:
    """The item's tags CKAN accepts, once each, in their order."""
    tags = (str(word).strip() for word in words)
    return list(dict.fromkeys(tag for tag in tags if _TAG.fullmatch(tag)))


def _extras(pairs: dict[str, Any]) -> list[dict[str, str]]:
    """CKAN extras: string values; lists as JSON; empty values left out."""
    out = []
    for key, value in pairs.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, float):
            value = f"{value:f}".rstrip("0").rstrip(".")
        elif isinstance(value, dt.date):
            value = timestamp(value)
        out.append({"key": key, "value": str(value)})
    return out


def _notes(*parts: str) -> str:
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


# --- resources ------------------------------------------------------------------------------------
def product_formats(delivery_mode: str, has_sample: bool) -> list[str]:
    """The formats of a product's resources, in their order (``res_format``)."""
    return [DELIVERY_FORMATS.get(delivery_mode, delivery_mode), *(["CSV"] if has_sample else [])]


def _resource(package_id: str, position: int, **values: Any) -> dict[str, Any]:
    return {
        "id": values.pop("id"),
        "package_id": package_id,
        **values,
        "url_type": None,
        "mimetype": None,
        "position": position,
        "state": "active",
    }


def _product_resources(p: ProductDetail, base: str) -> list[dict[str, Any]]:
    """One resource for the product's delivery mode (access is requested on its page), and its sample."""
    mode = label("delivery_mode", p.delivery_mode, "zh")
    formats = product_formats(p.delivery_mode, bool(p.sample_preview))
    created, modified = timestamp(p.created_at), timestamp(p.updated_at)
    resources = [
        _resource(
            p.id,
            0,
            id=f"{p.id}-{p.delivery_mode}",
            name=f"{p.title}（{mode}）",
            description=f"{mode}：在产品页面申请使用，获批后由数据提供方交付。",
            format=formats[0],
            url=base + p.url,
            resource_type=p.delivery_mode,
            created=created,
            last_modified=modified,
        )
    ]
    if p.sample_preview:
        resources.append(
            _resource(
                p.id,
                1,
                id=f"{p.id}-sample",
                name=f"样例数据 {p.sample_name}".strip(),
                description="产品样例数据的前几行（CSV）。",
                format="CSV",
                url=base + product_sample_url(p.id),
                resource_type="sample",
                created=created,
                last_modified=modified,
            )
        )
    return resources


def _slug(text: str) -> str:
    return re.sub(r"[^\w.]+", "-", text.lower()).strip("-")


def _dataset_resources(d: DatasetDetail, base: str) -> list[dict[str, Any]]:
    """One resource per format the dataset is provided in."""
    sharing = label("sharing_condition", d.sharing_condition, "zh")
    created, modified = timestamp(d.created_at), timestamp(d.updated_at)
    return [
        _resource(
            d.id,
            position,
            id=f"{d.id}-{_slug(fmt) or position}",
            name=f"{d.title}（{fmt}）",
            description=f"{sharing}：经授权运营申请后获取。",
            format=fmt,
            url=base + d.url,
            resource_type="authorized_operation",
            created=created,
            last_modified=modified,
        )
        for position, fmt in enumerate(dict.fromkeys(d.formats))
    ]


# --- organizations, groups, licences --------------------------------------------------------------
def dataset_licence(session: Session) -> LicencePublic | None:
    """The licence datasets are shown under (the port's authorized-operation agreement), if the catalog
    has it; without it they are ``notspecified``."""
    try:
        return licences.get_licence(session, DATASET_LICENCE)
    except NotFound:
        return None


def organization_dict(org: OrganizationPublic, created: dt.datetime | None) -> dict[str, Any]:
    """An organization as CKAN shows it inside a package."""
    return {
        "id": org.id,
        "name": org.id,
        "title": org.name,
        "type": "organization",
        "description": org.description,
        "image_url": "",
        "created": timestamp(created),
        "is_organization": True,
        "approval_status": "approved" if org.verified else "pending",  # registered itself, not yet checked
        "state": "active",
    }


def organization_full(org: OrganizationPublic, created: dt.datetime | None) -> dict[str, Any]:
    """An organization as ``organization_list`` (``all_fields``) and ``organization_show`` give it."""
    return {
        **organization_dict(org, created),
        "display_name": org.name,
        "image_display_url": "",
        "package_count": org.products_listed + org.datasets_listed,
        "num_followers": 0,
        "extras": _extras(
            {
                "credit_code": org.code,
                "kind": org.kind,
                "name_en": org.name_en,
                "short_name": org.short_name,
                "region": org.region,
                "website": org.website,
            }
        ),
    }


def group_dict(sector: SectorPublic) -> dict[str, Any]:
    """A sector as a CKAN group."""
    return {
        "id": sector.id,
        "name": sector.id,
        "title": sector.name,
        "display_name": sector.name,
        "description": sector.description,
        "image_url": "",
        "image_display_url": "",
        "type": "group",
        "is_organization": False,
        "approval_status": "approved",
        "state": "active",
        "package_count": sector.products_listed + sector.datasets_listed,
        "num_followers": 0,
        "extras": _extras({"name_en": sector.name_en, "task": sector.task}),
    }


def _package_group(sector: SectorPublic) -> dict[str, Any]:
    keys = ("id", "name", "title", "display_name", "description", "image_display_url")
    return {key: value for key, value in group_dict(sector).items() if key in keys}


def licence_dict(licence: LicencePublic, base: str) -> dict[str, str]:
    """A licence as ``license_list`` gives it: every value a string."""
    return {
        "id": licence.code,
        "title": licence.name,
        "url": licences.licence_url(licence, base),
        "family": "",
        "status": "active",
        "maintainer": "",
        "domain_content": "False",
        "domain_data": "True",
        "domain_software": "False",
        "is_generic": "False",
        "od_conformance": "approved" if licence.kind == "open" else "not reviewed",
        "osd_conformance": "not reviewed",
    }


NOT_SPECIFIED_LICENCE = {
    "id": NOT_SPECIFIED,
    "title": "License not specified",
    "url": "",
    "family": "",
    "status": "active",
    "maintainer": "",
    "domain_content": "False",
    "domain_data": "False",
    "domain_software": "False",
    "is_generic": "True",
    "od_conformance": "not reviewed",
    "osd_conformance": "not reviewed",
}


# --- packages -------------------------------------------------------------------------------------
class Packages:
    """Builds package dicts through the services, loading each organization and the sectors once."""

    def __init__(self, session: Session, base: str) -> None:
        self.session = session
        self.base = base
        self._organizations: dict[str, dict[str, Any]] = {}
        self._sectors: dict[str, SectorPublic] | None = None
        self._dataset_licence: tuple[tuple[str, str, str], bool] | None = None

    def show(self, ident: str) -> dict[str, Any]:
        """The listed package whose id or name is ``ident``; NotFound otherwise."""
        try:
            return self.product(ident)
        except NotFound:
            pass
        for code in dict.fromkeys([ident, *dataset_codes_for(ident)]):
            try:
                return self.dataset(code)
            except NotFound:
                continue
        raise NotFound(f"no dataset {ident!r}")

    def of(self, kind: str, key: str) -> dict[str, Any]:
        return self.product(key) if kind == "product" else self.dataset(key)

    def product(self, slug: str) -> dict[str, Any]:
        p = products.get_product(self.session, ANONYMOUS, slug)
        if not is_listed(p):
            raise NotFound(f"no dataset {slug!r}")
        licence = p.license
        extras = {
            "kind": "product",
            "listing_no": p.listing_no,
            "registration_code": p.registration_code,
            "registration_valid_until": p.registration.valid_until if p.registration else None,
            "registration_status": p.registration.status if p.registration else None,
            "authorizations": p.authorization.authorizations if p.authorization else [],
            "price_cap": p.price_cap.amount if p.price_cap else None,
            "price_trial": p.price_trial,
            "title_en": p.title_en,
            "summary_en": p.summary_en,
            "product_type": p.product_type,
            "delivery_mode": p.delivery_mode,
            "price_model": p.price_model,
            "price": p.price,
            "price_unit": p.price_unit,
            "security_grade": p.security_grade,
            "source_type": p.source_type,
            "update_frequency": p.update_frequency,
            "use_category": p.use_category,
            "personal_info": p.personal_info,
            "permitted_purpose": p.permitted_purpose,
            "usage_term_months": p.usage_term_months,
            "other_restrictions": p.other_restrictions,
            "scenarios": p.scenarios,
            "source_datasets": [d.id for d in p.source_datasets],
            "listed_at": p.listed_at,
        }
        return self._package(
            p,
            name=product_name(p.id),
            notes=_notes(p.summary, p.description),
            version=p.version,
            licence=(licence.code, licence.name, licences.licence_url(licence, self.base)),
            isopen=licence.kind == "open",
            tags=p.tags,
            resources=_product_resources(p, self.base),
            extras=extras,
        )

    def dataset(self, code: str) -> dict[str, Any]:
        d = datasets.get_dataset(self.session, ANONYMOUS, code)
        if not is_listed(d):
            raise NotFound(f"no dataset {code!r}")
        extras = {
            "kind": "dataset",
            "resource_code": d.id,
            "title_en": d.title_en,
            "description_en": d.description_en,
            "security_grade": d.security_grade,
            "sharing_condition": d.sharing_condition,
            "update_frequency": d.update_frequency,
            "spatial_coverage": d.spatial_coverage,
            "temporal_start": d.temporal_start,
            "temporal_end": d.temporal_end,
            "record_count": d.record_count,
            "quality_rating": d.quality_rating,
            "registration_code": d.registration.code if d.registration else None,
            "registration_valid_until": d.registration.valid_until if d.registration else None,
            "assessment_grade": d.assessment.grade if d.assessment else None,
            "assessed_on": d.assessment.assessed_on if d.assessment else None,
            "products": [p.id for p in d.products],
            "listed_at": d.listed_at,
        }
        return self._package(
            d,
            name=dataset_name(d.id),
            notes=_notes(d.description),
            version=None,
            **self.dataset_licence(),
            tags=d.keywords,
            resources=_dataset_resources(d, self.base),
            extras=extras,
        )

    def _package(self, item: ProductDetail | DatasetDetail, **parts: Any) -> dict[str, Any]:
        organization = self.organization(item.provider.id)
        tags = ckan_tags(parts["tags"])
        known = self.sectors()
        licence_code, licence_title, url = parts["licence"]
        return {
            "id": item.id,
            "name": parts["name"],
            "title": item.title,
            "notes": parts["notes"],
            "url": self.base + item.url,
            "version": parts["version"],
            "type": "dataset",
            "state": "active",
            "private": False,
            "license_id": licence_code,
            "license_title": licence_title,
            "license_url": url,
            "isopen": parts["isopen"],
            "owner_org": organization["id"],
            "organization": organization,
            "author": item.provider.name,
            "author_email": None,
            "maintainer": None,
            "maintainer_email": None,
            "creator_user_id": None,
            "metadata_created": timestamp(item.created_at),
            "metadata_modified": timestamp(item.updated_at),
            "num_tags": len(tags),
            "tags": [{"name": t, "display_name": t, "state": "active", "vocabulary_id": None} for t in tags],
            "groups": [_package_group(known[s.id]) for s in item.sectors if s.id in known],
            "num_resources": len(parts["resources"]),
            "resources": parts["resources"],
            "extras": _extras(parts["extras"]),
            "relationships_as_object": [],
            "relationships_as_subject": [],
        }

    def organization(self, slug: str) -> dict[str, Any]:
        if slug not in self._organizations:
            org = accounts.get_organization(self.session, slug)
            created = organizations_created(self.session, [slug]).get(slug)
            self._organizations[slug] = organization_dict(org, created)
        return self._organizations[slug]

    def dataset_licence(self) -> dict[str, Any]:
        if self._dataset_licence is None:
            lic = dataset_licence(self.session)
            self._dataset_licence = (
                ((lic.code, lic.name, licences.licence_url(lic, self.base)), lic.kind == "open")
                if lic
                else ((NOT_SPECIFIED, NOT_SPECIFIED_LICENCE["title"], ""), False)
            )
        return {"licence": self._dataset_licence[0], "isopen": self._dataset_licence[1]}

    def sectors(self) -> dict[str, SectorPublic]:
        if self._sectors is None:
            self._sectors = {s.id: s for s in sectors.list_sectors(self.session)}
        return self._sectors


# --- what package_search filters, counts and sorts ------------------------------------------------
@dataclass(frozen=True)
class Facts:
    """One listed package as the search language sees it (the same values its package dict shows)."""

    kind: str  # product | dataset
    key: str  # the slug or the resource code
    name: str
    title: str
    organization: str
    groups: tuple[str, ...]
    tags: tuple[str, ...]
    license_id: str
    res_format: tuple[str, ...]
    metadata_created: dt.datetime
    metadata_modified: dt.datetime

    @property
    def id(self) -> str:
        return self.key

    def values(self, name: str) -> tuple[Any, ...]:
        """The values of an ``fq`` field (see ``FQ_FIELDS``)."""
        constant = CONSTANT_FIELDS.get(name)
        if constant is not None:
            return (constant,)
        value = getattr(self, FQ_ALIASES.get(name, name))
        return value if isinstance(value, tuple) else (value,)


CONSTANT_FIELDS = {
    "type": "dataset",
    "dataset_type": "dataset",
    "state": "active",
    "capacity": "public",
    "private": "false",
}
FQ_ALIASES = {"owner_org": "organization"}
DATE_FIELDS = ("metadata_created", "metadata_modified")
FQ_FIELDS = frozenset(
    {"organization", "owner_org", "groups", "tags", "license_id", "res_format", "name", "id", *DATE_FIELDS}
    | set(CONSTANT_FIELDS)
)
FACET_FIELDS = ("organization", "groups", "tags", "license_id", "res_format")


@dataclass
class Labels:
    """Display names of facet values: organization and group titles, licence titles."""

    names: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            "organization": {},
            "groups": {},
            "license_id": {NOT_SPECIFIED: NOT_SPECIFIED_LICENCE["title"]},
        }
    )

    def of(self, facet: str, value: str) -> str:
        return self.names.get(facet, {}).get(value) or value


def load_facts(session: Session, keys: Mapping[str, Sequence[str]]) -> tuple[list[Facts], Labels]:
    """The facts of the listed products and datasets among ``keys`` (by kind), read with the services'
    helpers: the rows still listed in the database, summarized."""
    facts: list[Facts] = []
    labels = Labels()
    rows = product_queries.listed_in_order(session, keys.get("product", ()))
    for row, s in zip(rows, products.summarize(session, rows), strict=True):
        labels.names["organization"][s.provider.id] = s.provider.name
        labels.names["groups"].update({x.id: x.name for x in s.sectors})
        labels.names["license_id"][s.license.code] = s.license.name
        facts.append(
            Facts(
                "product",
                row.slug,
                product_name(row.slug),
                row.title,
                s.provider.id,
                tuple(x.id for x in s.sectors),
                tuple(ckan_tags(row.tags)),
                s.license.code,
                tuple(product_formats(row.delivery_mode, bool(row.sample_preview))),
                utc(row.created_at),
                utc(row.updated_at),
            )
        )
    dataset_rows = dataset_queries.listed_in_order(session, keys.get("dataset", ()))
    lic = dataset_licence(session) if dataset_rows else None
    if lic is not None:
        labels.names["license_id"][lic.code] = lic.name
    for dataset_row, d in zip(dataset_rows, datasets.summarize(session, dataset_rows), strict=True):
        labels.names["organization"][d.provider.id] = d.provider.name
        labels.names["groups"].update({x.id: x.name for x in d.sectors})
        facts.append(
            Facts(
                "dataset",
                dataset_row.code,
                dataset_name(dataset_row.code),
                dataset_row.title,
                d.provider.id,
                tuple(x.id for x in d.sectors),
                tuple(ckan_tags(dataset_row.keywords)),
                lic.code if lic else NOT_SPECIFIED,
                tuple(dict.fromkeys(dataset_row.formats)),
                utc(dataset_row.created_at),
                utc(dataset_row.updated_at),
            )
        )
    return facts, labels


def count_facets(
    facts: Sequence[Facts], fields: Sequence[str], limit: int, mincount: int
) -> dict[str, list[tuple[str, int]]]:
    """Per facet field, ``(value, packages)`` over ``facts``, most frequent first, as Solr counts them."""
    out = {}
    for name in fields:
        counts = Counter(value for f in facts for value in set(f.values(name)) if value)
        ranked = sorted(
            ((v, n) for v, n in counts.items() if n >= mincount), key=lambda item: (-item[1], item[0])
        )
        out[name] = ranked if limit < 0 else ranked[:limit]
    return out


SORT_FIELDS = frozenset({"score", "metadata_modified", "metadata_created", "name", "id", "title_string"})


def sort_facts(
    facts: list[Facts], scores: dict[tuple[str, str], float], order: list[tuple[str, bool]]
) -> None:
    """Sort ``facts`` in place by ``order`` (``(field, descending)``), ties by id."""
    facts.sort(key=lambda f: f.id)
    for name, descending in reversed(order):
        if name == "score":
            facts.sort(key=lambda f: scores.get((f.kind, f.key), 0.0), reverse=descending)
        elif name == "title_string":  # Chinese titles by pinyin, as the catalog's own lists sort them
            facts.sort(key=lambda f: title_sort_key(f.title), reverse=descending)
        else:
            facts.sort(key=attrgetter(name), reverse=descending)  # name is one of SORT_FIELDS: no dots


# --- the search language: fq clauses -------------------------------------------------------------
class QueryError(ValueError):
    """A search parameter CKAN's Solr would refuse (answered as a ``Search Query Error``)."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<open>\() | (?P<close>\))
    | (?P<op>AND|OR|NOT|&&|\|\|)(?=[\s()]|$)
    | (?P<sign>[+-]?)(?P<field>\*|[A-Za-z_][\w.]*):(?P<value>
          "(?:[^"\\]|\\.)*"
        | [\[{][^\]}]*[\]}]
        | \((?:[^()"]|"(?:[^"\\]|\\.)*")*\)
        | (?:[^\s()\\"]|\\.)+ )
    | (?P<negate>[+-])(?=\()
    | (?P<bare>"(?:[^"\\]|\\.)*" | (?:[^\s()\\":]|\\.)+)
    )""",
    re.X,
)
MAX_FQ_DEPTH = 32  # parentheses and NOTs within each other: more is not a filter but an attack
_NOW = re.compile(r"NOW(?:([+-]\d+)(MINUTE|HOUR|DAY)S?)?(?:/(?:MINUTE|HOUR|DAY))?")


@dataclass(frozen=True)
class Clause:
    """``field:value`` — one of the package's values is ``value`` (``*``: it has one; ``x*``: one starts
    with ``x``), or lies in ``[low TO high]``."""

    field: str
    value: str = "*"
    low: Any = None
    high: Any = None
    is_range: bool = False

    def matches(self, facts: Facts) -> bool:
        values = facts.values(self.field)
        if self.is_range:
            return any(
                (self.low is None or self.low <= v) and (self.high is None or v <= self.high) for v in values
            )
        if self.value == "*":
            return any(values)
        if self.value.endswith("*"):
            return any(str(v).startswith(self.value[:-1]) for v in values)
        return self.value in values


@dataclass(frozen=True)
class Every:
    """All of ``parts`` (``a AND b``, ``a b``) or, with ``any``, one of them (``a OR b``)."""

    parts: tuple[Any, ...]
    any: bool = False

    def matches(self, facts: Facts) -> bool:
        found = (part.matches(facts) for part in self.parts)
        return any(found) if self.any else all(found)


@dataclass(frozen=True)
class Negation:
    part: Any

    def matches(self, facts: Facts) -> bool:
        return not self.part.matches(facts)


Node = Clause | Every | Negation


def parse_fq(text: str) -> Node | None:
    """The filter of ``fq`` text: ``field:value`` clauses (values quoted, ``(a OR b)`` or
    ``[from TO to]``), joined by spaces or AND (all), OR (one of), negated by ``-`` or NOT."""
    tokens = _tokens(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    node = parser.any_of()
    if parser.position != len(tokens):
        raise QueryError(f"cannot read fq {text!r}")
    return node


def _tokens(text: str, field: str | None = None) -> list[tuple[str, Any]]:
    """``(kind, value)`` tokens; with ``field``, bare values are clauses on it (inside ``field:(…)``)."""
    tokens: list[tuple[str, Any]] = []
    position, text = 0, text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError(f"cannot read fq near {text[position:][:40]!r}")
        position = match.end()
        kind = match.lastgroup
        if kind == "value":  # the last group of a clause
            node = _clause(match["field"], match["value"])
            tokens.append(("node", Negation(node) if match["sign"] == "-" else node))
        elif kind == "bare":
            if field is None:
                raise QueryError(f"fq takes field:value clauses: cannot read {text[match.start('bare') :]!r}")
            tokens.append(("node", _clause(field, match["bare"])))
        elif kind == "op":
            tokens.append(("op", {"&&": "AND", "||": "OR"}.get(match["op"], match["op"])))
        elif kind == "negate":
            tokens.append(("op", "NOT" if match["negate"] == "-" else "+"))
        else:
            tokens.append((kind or "", None))
    return tokens


def _clause(name: str, value: str) -> Node:
    if name == "*" and value == "*":
        return Every(())
    if name not in FQ_FIELDS:
        raise QueryError(f"unknown fq field {name!r}: use one of {', '.join(sorted(FQ_FIELDS))}")
    if value.startswith("(") and value.endswith(")"):
        parser = _Parser(_tokens(value[1:-1], name))
        node = parser.any_of()
        if parser.position != len(parser.tokens):
            raise QueryError(f"cannot read {name}:{value}")
        return node
    if value[0] in "[{" and value[-1] in "]}":
        bounds = re.split(r"\s+TO\s+", value[1:-1].strip())
        if len(bounds) != 2:
            raise QueryError(f"a range is [from TO to], not {value!r}")
        low, high = (_bound(name, b) for b in bounds)
        return Clause(name, low=low, high=high, is_range=True)
    if name in DATE_FIELDS and value != "*":
        raise QueryError(f"{name} takes a range: {name}:[2024-01-01T00:00:00Z TO *]")
    if value.startswith('"'):
        return Clause(name, re.sub(r"\\(.)", r"\1", value[1:-1]))
    return Clause(name, value if value.endswith("*") else re.sub(r"\\(.)", r"\1", value))


def _bound(name: str, text: str) -> Any:
    text = text.strip().strip('"')
    if text == "*":
        return None
    if name not in DATE_FIELDS:
        return text
    now = _NOW.fullmatch(text)
    if now:
        moment = utc(dt.datetime.now(dt.UTC))
        if now[1]:
            moment += dt.timedelta(**{f"{now[2].lower()}s": int(now[1])})
        return moment
    try:
        return utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise QueryError(f"{name}: {text!r} is not a time like 2024-01-01T00:00:00Z") from None


class _Parser:
    """Recursive descent over tokens: any_of := all_of (OR all_of)*; all_of := unary ([AND] unary)*."""

    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens, self.position, self.depth = tokens, 0, 0

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def any_of(self) -> Node:
        parts = [self.all_of()]
        while self._peek() == ("op", "OR"):
            self.position += 1
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else Every(tuple(parts), any=True)

    def all_of(self) -> Node:
        parts = [self.unary()]
        while (token := self._peek()) is not None and token not in (("close", None), ("op", "OR")):
            if token == ("op", "AND"):
                self.position += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Every(tuple(parts))

    def unary(self) -> Node:
        token = self._peek()
        if token is None:
            raise QueryError("fq ends where a clause should be")
        self.position += 1
        if token[0] == "node":
            return cast(Node, token[1])
        self.depth += 1
        if self.depth > MAX_FQ_DEPTH:
            raise QueryError(f"fq nests deeper than {MAX_FQ_DEPTH} levels")
        if token in (("op", "NOT"), ("op", "+")):
            node = self.unary()
            node = Negation(node) if token[1] == "NOT" else node
        elif token[0] == "open":
            node = self.any_of()
            if self._peek() != ("close", None):
                raise QueryError("fq has a '(' without its ')'")
            self.position += 1
        else:
            raise QueryError(f"fq has {token[1] or token[0]!r} where a clause should be")
        self.depth -= 1
        return node


# fq fields that the catalog's search index filters on (positive values only), by filter name
INDEX_FILTERS = {
    "organization": "provider",
    "owner_org": "provider",
    "groups": "sector",
    "license_id": "license",
}


def index_filters(node: Node | None) -> dict[str, list[str]]:
    """The filters of ``node`` the search index can apply itself (it then has fewer hits to load): its
    top-level clauses on organizations, groups and licences, or OR-groups of them on one field."""
    parts = node.parts if isinstance(node, Every) and not node.any else (node,) if node else ()
    chosen: dict[str, list[str]] = {}
    for part in parts:
        clauses = part.parts if isinstance(part, Every) and part.any else (part,)
        if not all(isinstance(c, Clause) for c in clauses) or not clauses:
            continue
        names = {INDEX_FILTERS.get(c.field) for c in clauses}
        values = [c.value for c in clauses]
        plain = not any(c.is_range or c.value.endswith("*") for c in clauses)
        name = names.pop() if len(names) == 1 else None
        # datasets have no licence in the index: a filter that may ask for theirs stays with the facts
        dataset_licence = name == "license" and {NOT_SPECIFIED, DATASET_LICENCE} & set(values)
        if name and plain and name not in chosen and not dataset_licence:
            chosen[name] = values
    return chosen


def parse_sort(text: str) -> list[tuple[str, bool]]:
    """``"score desc, metadata_modified desc"`` -> ``[("score", True), ("metadata_modified", True)]``."""
    order = []
    for part in text.split(","):
        words = part.split()
        if len(words) != 2 or words[0] not in SORT_FIELDS or words[1].lower() not in ("asc", "desc"):
            raise QueryError('Invalid "sort" parameter')
        order.append((words[0], words[1].lower() == "desc"))
    return order
