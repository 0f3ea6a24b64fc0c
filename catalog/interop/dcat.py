"""DCAT-AP 3 exports: the whole catalog at ``/catalog.ttl`` and ``/catalog.jsonld``, one item at
``/products/{slug}.ttl|.jsonld`` and ``/datasets/{code}.ttl|.jsonld``.

The catalog holds the listed products and the listed datasets of the authorized-operation catalog,
each a ``dcat:Dataset``. A product has one distribution, the way to obtain it (its delivery mode, an
access request on its page); a dataset has one per format it is provided in. Every distribution
carries its licence (a ``dct:LicenseDocument``) and that licence's ODRL offer for the item: a
product's own licence, and for datasets, which have none of their own, the port's agreement for the
authorized operation of public data, as the CKAN API and the pages' schema.org say too. A product is
a dataset even when delivered by API: its endpoint is given to a licensee after an agreement, so the
port knows no endpoint URL a ``dcat:DataService`` needs. Sectors are the ``skos:ConceptScheme`` of
themes; a product's source datasets are its ``prov:wasDerivedFrom``. Built with rdflib; the test
suite checks it against the official DCAT-AP 3.0.1 SHACL shapes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from catalog.accounts.models import OrganizationPublic
from catalog.accounts.queries import organizations_by_slug
from catalog.accounts.services import get_organization
from catalog.datasets import services as datasets
from catalog.datasets.models import DatasetDetail
from catalog.datasets.queries import listed_dataset_details
from catalog.db import session_scope
from catalog.errors import NotFound
from catalog.interop.rdf import (
    ADMS,
    DCAT,
    DCT,
    EN,
    EU,
    FOAF,
    ODRL,
    PREFIXES,
    PROV,
    REGION_CODE,
    SHARING_ACCESS,
    SKOS,
    VCARD,
    XSD,
    ZH,
    Constraint,
    Logical,
    Operand,
    Policy,
    Rule,
    Terms,
    Uris,
    access_right,
    cached_products,
    catalog_cache,
    catalog_version,
    frequency,
    licence_policy,
    product_policy,
)
from catalog.interop.schemaorg import DATASET_LICENCE
from catalog.licences import services as licences
from catalog.licences.models import LicencePublic
from catalog.listings.urls import home_url, verify_url
from catalog.permissions import Actor
from catalog.products import services as products
from catalog.products.models import ProductDetail
from catalog.registrations.models import RegistrationSummary
from catalog.sectors.models import SectorPublic, SectorRef
from catalog.sectors.services import list_sectors
from catalog.vocabularies import label
from catalog.web import actor_for, call, redirect_to

# The JSON-LD context, embedded in every document: prefixes only, so that no reader fetches anything.
CONTEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
FORMATS = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json")}

PORT_PUBLISHER = ("淮安市数据局", "Huai'an Municipal Data Bureau")
CATALOG_TITLE = ("淮安市数据港数据目录", "Huai'an Data Port catalog")
CATALOG_DESCRIPTION = (
    "淮安市数据港挂牌的数据产品（数据产品清单）和授权运营数据目录中的公共数据资源。",
    "The data products listed on the Huai'an Data Port and the public datasets of its "
    "authorized-operation data catalog.",
)
ADMS_PUBLISHER_TYPES = {
    "department": ("LocalAuthority", "Local Authority"),
    "operator": ("Company", "Company"),
    "enterprise": ("Company", "Company"),
}
DSP_SPEC = URIRef("https://eclipse-dataspace-protocol-base.github.io/DataspaceProtocol/2025-1/")
Endpoint = Callable[[Request], Awaitable[Response]]
# The formats datasets name that the EU file-type vocabulary has (others are named in the title only).
EU_FILE_TYPES = (
    "CSV",
    "XLSX",
    "JSON",
    "GEOJSON",
    "SHP",
    "JPEG",
    "PNG",
    "GEOTIFF",
    "PARQUET",
    "NETCDF",
    "PDF",
)
FILE_TYPES = {name: name for name in EU_FILE_TYPES} | {"JPG": "JPEG"}
RULE_CLASSES = {"permission": ODRL.Permission, "prohibition": ODRL.Prohibition, "obligation": ODRL.Duty}


@dataclass(frozen=True)
class CatalogData:
    """Everything the whole-catalog export shows, read through the services."""

    products: list[ProductDetail]
    datasets: list[DatasetDetail]
    organizations: dict[str, OrganizationPublic]
    sectors: list[SectorPublic]
    dataset_licence: LicencePublic | None  # None: the catalog lacks the port's agreement


def dataset_licence(session: Session) -> LicencePublic | None:
    """The licence datasets are offered under (the port's authorized-operation agreement)."""
    try:
        return licences.get_licence(session, DATASET_LICENCE)
    except NotFound:  # datasets are then listed without distributions rather than a guessed licence
        return None


def read_catalog(session: Session, listed: list[ProductDetail]) -> CatalogData:
    """The ``listed`` products, the listed datasets, their providers and every sector."""
    listed_datasets = listed_dataset_details(session)
    slugs = {p.provider.id for p in listed} | {d.provider.id for d in listed_datasets}
    organizations = organizations_by_slug(session, slugs)
    return CatalogData(
        listed, listed_datasets, organizations, list_sectors(session), dataset_licence(session)
    )


def _moment(value: dt.datetime | dt.date) -> Literal:
    """An ``xsd:dateTime`` (UTC when the database gave no zone) or an ``xsd:date``."""
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return Literal(value.isoformat(), datatype=XSD.dateTime)
    return Literal(value.isoformat(), datatype=XSD.date)


class _Builder:
    """Adds the port's things to one graph, each once."""

    def __init__(self, uris: Uris) -> None:
        self.uris = uris
        self.g = Graph(bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            self.g.bind(prefix, namespace)

    def add(self, subject: URIRef | BNode, predicate: URIRef, value: URIRef | BNode | Literal) -> None:
        self.g.add((subject, predicate, value))

    def text(self, subject: URIRef | BNode, predicate: URIRef, zh: str | None, en: str | None) -> None:
        """The Chinese and the English text, each with its language tag, when there is one."""
        for value, language in ((zh, ZH), (en, EN)):
            if value and value.strip():
                self.add(subject, predicate, Literal(value.strip(), lang=language))

    def typed(self, node: URIRef, *classes: URIRef) -> bool:
        """Type ``node``; False when it was typed before (described already)."""
        if (node, RDF.type, classes[0]) in self.g:
            return False
        for cls in classes:
            self.add(node, RDF.type, cls)
        return True

    def document(self, url: URIRef) -> URIRef:
        self.typed(url, FOAF.Document)
        return url

    def concept(self, iri: str, label_en: str) -> URIRef:
        node = URIRef(iri)
        if self.typed(node, SKOS.Concept):
            self.add(node, SKOS.prefLabel, Literal(label_en, lang=EN))
        return node

    def vocabulary(self, iri: str, cls: URIRef) -> URIRef:
        """A term of an EU vocabulary, typed as the range shapes ask (they dereference nothing)."""
        node = URIRef(iri)
        self.typed(node, cls)
        return node

    # --- agents and places ------------------------------------------------------------------------
    def port_publisher(self) -> URIRef:
        node = self.uris.publisher()
        if self.typed(node, FOAF.Agent, FOAF.Organization):
            self.text(node, FOAF.name, *PORT_PUBLISHER)
            kind = self.concept("http://purl.org/adms/publishertype/LocalAuthority", "Local Authority")
            self.add(node, DCT.type, kind)
        return node

    def agent(self, org: OrganizationPublic) -> URIRef:
        node = self.uris.agent(org.id)
        if self.typed(node, FOAF.Agent, FOAF.Organization):
            self.text(node, FOAF.name, org.name, org.name_en)
            self.add(node, DCT.identifier, Literal(org.code))  # the unified social credit code
            code, name = ADMS_PUBLISHER_TYPES.get(org.kind, ("Company", "Company"))
            self.add(node, DCT.type, self.concept(f"http://purl.org/adms/publishertype/{code}", name))
            if org.website.startswith(("http://", "https://")):
                self.add(node, FOAF.homepage, URIRef(org.website))
        return node

    def contact(self, org: OrganizationPublic) -> URIRef | None:
        """The organization's public contact point: its website (phones and addresses are not public)."""
        if not org.website.startswith(("http://", "https://")):
            return None
        node = self.uris.agent(org.id, "contact")
        if self.typed(node, VCARD.Organization, VCARD.Kind):
            self.add(node, VCARD.fn, Literal(org.name, lang=ZH))
            self.add(node, VCARD.hasURL, URIRef(org.website))
        return node

    def region(self) -> URIRef:
        node = self.uris.region()
        if self.typed(node, DCT.Location):
            self.text(node, SKOS.prefLabel, "淮安市", "Huai'an")
            self.add(node, DCT.identifier, Literal(REGION_CODE))
        return node

    def sectors(self, sectors: Iterable[SectorRef]) -> URIRef:
        """The sectors' concept scheme, with these sectors in it."""
        scheme = self.uris.sectors()
        if self.typed(scheme, SKOS.ConceptScheme):
            self.text(scheme, DCT.title, "行业领域", "Sectors")
        for sector in sectors:
            self.sector(sector)
        return scheme

    def sector(self, sector: SectorRef) -> URIRef:
        node = self.uris.sector(sector.id)
        if self.typed(node, SKOS.Concept):
            self.text(node, SKOS.prefLabel, sector.name, sector.name_en)
            self.add(node, SKOS.notation, Literal(sector.id))
            self.add(node, SKOS.inScheme, self.sectors(()))
            if isinstance(sector, SectorPublic):
                self.text(node, SKOS.definition, sector.description, sector.description_en)
        return node

    # --- the items --------------------------------------------------------------------------------
    def common(self, node: URIRef, item: ProductDetail | DatasetDetail, org: OrganizationPublic) -> None:
        """What products and datasets describe alike."""
        self.typed(node, DCAT.Dataset)
        self.text(node, DCT.title, item.title, item.title_en)
        publisher = self.agent(org)
        self.add(node, DCT.publisher, publisher)
        contact = self.contact(org)
        if contact is not None:
            self.add(node, DCAT.contactPoint, contact)
        for sector in item.sectors:
            self.add(node, DCAT.theme, self.sector(sector))
        self.add(node, DCAT.landingPage, self.document(self.uris.page(item.url)))
        self.add(
            node, DCT.accrualPeriodicity, self.vocabulary(frequency(item.update_frequency), DCT.Frequency)
        )
        self.add(node, DCT.spatial, self.region())
        if item.listed_at:
            self.add(node, DCT.issued, _moment(item.listed_at))
        self.add(node, DCT.modified, _moment(item.updated_at))

    def registration(self, node: URIRef, reg: RegistrationSummary | None) -> None:
        """The item's registration (登记, 26号) as its other identifier: the code, its verification page
        as the identifier's address, when it was registered and until when it is valid (dct:valid)."""
        if reg is None:
            return
        ident = self.uris.page(verify_url(reg.code))
        if self.typed(ident, ADMS.Identifier):
            self.add(ident, SKOS.notation, Literal(reg.code))
            self.add(ident, DCT.issued, Literal(reg.valid_from, datatype=XSD.date))
            self.add(ident, DCT.valid, Literal(reg.valid_until, datatype=XSD.date))
        self.add(node, ADMS.identifier, ident)

    def product(self, p: ProductDetail, org: OrganizationPublic) -> URIRef:
        node = self.uris.product(p.id)
        self.common(node, p, org)
        self.add(node, DCT.identifier, Literal(p.listing_no or p.id))
        self.registration(node, p.registration)
        self.text(node, DCT.description, p.description, p.description_en or p.summary_en)
        for tag in p.tags:
            self.add(node, DCAT.keyword, Literal(tag, lang=ZH))
        public = p.license.kind == "open" and p.price_model == "free"  # anyone, no request, no price
        rights = access_right("PUBLIC" if public else "RESTRICTED")
        self.add(node, DCT.accessRights, self.vocabulary(rights, DCT.RightsStatement))
        self.add(node, DCAT.version, Literal(p.version))
        for source in p.source_datasets:
            if source.public:  # only what the catalog holds: a dataset that is not public is not in it
                self.add(node, PROV.wasDerivedFrom, self.uris.dataset(source.id))
        self.add(node, DCAT.distribution, self.distribution(p, self.agent(org)))
        return node

    def distribution(self, p: ProductDetail, assigner: URIRef) -> URIRef:
        node = self.uris.product(p.id, "distribution")
        self.typed(node, DCAT.Distribution)
        mode = p.delivery_mode
        self.text(node, DCT.title, label("delivery_mode", mode, "zh"), label("delivery_mode", mode, "en"))
        self.add(node, DCAT.accessURL, self.uris.page(p.url))  # where access is requested
        self.add(node, DCT.license, self.licence(p.license_detail))
        offer = self.offer(
            self.uris.product(p.id, "offer"), self.uris.product(p.id), assigner, product_policy(p)
        )
        self.add(node, ODRL.hasPolicy, offer)
        return node

    def licence(self, licence: LicencePublic) -> URIRef:
        node = self.uris.licence(licence)
        if self.typed(node, DCT.LicenseDocument):
            self.text(node, RDFS.label, licence.name, licence.name_en)
            self.text(node, DCT.description, licence.summary, licence.summary_en)
            self.add(node, DCT.identifier, Literal(licence.code))
        return node

    def offer(self, node: URIRef, target: URIRef, assigner: URIRef, policy: Policy) -> URIRef:
        """A licence's ODRL policy as the provider's offer of one item."""
        if self.typed(node, ODRL.Policy, ODRL.Offer):
            self.add(node, ODRL.assigner, assigner)
            self.add(node, ODRL.target, target)
            for kind, rules in policy.rules():
                for rule in rules:
                    self.add(node, ODRL[kind], self.rule(rule, RULE_CLASSES[kind]))
        return node

    def rule(self, rule: Rule, cls: URIRef) -> BNode:
        node = BNode()
        self.add(node, RDF.type, cls)
        self.add(node, ODRL.action, URIRef(rule.action))
        for constraint in rule.constraints:
            self.add(node, ODRL.constraint, self.constraint(constraint))
        for name, nested in rule.nested:
            self.add(node, ODRL[name], self.rule(nested, ODRL.Duty))
        return node

    def constraint(self, constraint: Constraint | Logical) -> BNode:
        node = BNode()
        if isinstance(constraint, Logical):
            self.add(node, RDF.type, ODRL.LogicalConstraint)
            parts = BNode()
            Collection(self.g, parts, [self.constraint(c) for c in constraint.parts])
            self.add(node, ODRL[constraint.operator], parts)
            return node
        self.add(node, RDF.type, ODRL.Constraint)
        self.add(node, ODRL.leftOperand, URIRef(constraint.left))
        self.add(node, ODRL.operator, URIRef(constraint.operator))
        for operand in constraint.right:
            self.add(node, ODRL.rightOperand, _operand(operand))
        return node

    def dataset(self, d: DatasetDetail, org: OrganizationPublic, licence: LicencePublic | None) -> URIRef:
        node = self.uris.dataset(d.id)
        self.common(node, d, org)
        self.add(node, DCT.identifier, Literal(d.id))
        self.registration(node, d.registration)
        self.text(node, DCT.description, d.description, d.description_en)
        for keyword in d.keywords:
            self.add(node, DCAT.keyword, Literal(keyword, lang=ZH))
        rights = access_right(SHARING_ACCESS.get(d.sharing_condition, "RESTRICTED"))
        self.add(node, DCT.accessRights, self.vocabulary(rights, DCT.RightsStatement))
        if d.spatial_coverage:
            place = BNode()
            self.add(place, RDF.type, DCT.Location)
            self.add(place, SKOS.prefLabel, Literal(d.spatial_coverage, lang=ZH))
            self.add(node, DCT.spatial, place)
        if d.temporal_start or d.temporal_end:
            period = BNode()
            self.add(period, RDF.type, DCT.PeriodOfTime)
            if d.temporal_start:
                self.add(period, DCAT.startDate, _moment(d.temporal_start))
            if d.temporal_end:
                self.add(period, DCAT.endDate, _moment(d.temporal_end))
            self.add(node, DCT.temporal, period)
        if licence is not None:
            offer = self.offer(
                self.uris.dataset(d.id, "offer"), node, self.agent(org), dataset_policy(licence)
            )
            for part, fmt in _format_parts(d.formats).items():
                distribution = self.dataset_distribution(
                    self.uris.dataset(d.id, part), d, fmt, licence, offer
                )
                self.add(node, DCAT.distribution, distribution)
        return node

    def dataset_distribution(
        self, node: URIRef, d: DatasetDetail, fmt: str, licence: LicencePublic, offer: URIRef
    ) -> URIRef:
        """One format a dataset is provided in, obtained under an authorization from its page."""
        self.typed(node, DCAT.Distribution)
        self.text(node, DCT.title, f"{d.title}（{fmt}）", f"{d.title_en} ({fmt})" if d.title_en else "")
        sharing = [label("sharing_condition", d.sharing_condition, lang) for lang in ("zh", "en")]
        self.text(
            node,
            DCT.description,
            f"{sharing[0]}：经授权运营申请后获取。",
            f"{sharing[1]}: obtained through an application for authorized operation.",
        )
        self.add(node, DCAT.accessURL, self.uris.page(d.url))
        if fmt.upper() in FILE_TYPES:
            file_type = f"{EU}file-type/{FILE_TYPES[fmt.upper()]}"
            self.add(node, DCT["format"], self.vocabulary(file_type, DCT.MediaTypeOrExtent))
        self.add(node, DCT.license, self.licence(licence))
        self.add(node, ODRL.hasPolicy, offer)
        return node

    def dsp_service(self, served: Iterable[URIRef]) -> URIRef:
        """The port's Dataspace Protocol catalog endpoint, serving the listed products."""
        node = self.uris.dsp_service()
        self.typed(node, DCAT.DataService)
        self.text(node, DCT.title, "数据空间协议目录服务", "Dataspace Protocol catalog service")
        self.add(node, DCAT.endpointURL, node)
        self.add(node, DCT.conformsTo, self.vocabulary(DSP_SPEC, DCT.Standard))
        self.add(node, DCT.publisher, self.port_publisher())
        self.add(node, DCT.accessRights, self.vocabulary(access_right("PUBLIC"), DCT.RightsStatement))
        for dataset in served:
            self.add(node, DCAT.servesDataset, dataset)
        return node


def _format_parts(formats: list[str]) -> dict[str, str]:
    """Each format by the fragment naming its distribution (``distribution-csv``; the position for a
    name without Latin letters or digits)."""
    parts: dict[str, str] = {}
    for position, fmt in enumerate(formats, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", fmt.lower()).strip("-") or str(position)
        parts.setdefault(f"distribution-{slug}", fmt)
    return parts


def dataset_policy(licence: LicencePublic) -> Policy:
    """The agreement's policy for a dataset: no purpose or term of its own to fill in."""
    return licence_policy(licence.odrl, Terms())


def _operand(operand: Operand) -> URIRef | Literal:
    if operand.iri:
        return URIRef(operand.value)
    if operand.language:
        return Literal(operand.value, lang=operand.language)
    return Literal(operand.value, datatype=URIRef(operand.datatype) if operand.datatype else None)


def catalog_graph(data: CatalogData, uris: Uris) -> Graph:
    """The whole catalog as a DCAT-AP 3 graph."""
    b = _Builder(uris)
    node = uris.catalog()
    b.typed(node, DCAT.Catalog)
    b.text(node, DCT.title, *CATALOG_TITLE)
    b.text(node, DCT.description, *CATALOG_DESCRIPTION)
    b.add(node, DCT.publisher, b.port_publisher())
    b.add(node, FOAF.homepage, b.document(uris.page(home_url())))
    for code in ("ZHO", "ENG"):
        b.add(node, DCT.language, b.vocabulary(f"{EU}language/{code}", DCT.LinguisticSystem))
    b.add(node, DCT.spatial, b.region())
    b.add(node, DCAT.themeTaxonomy, b.sectors(data.sectors))
    items: list[ProductDetail | DatasetDetail] = [*data.products, *data.datasets]
    issued = [i.listed_at for i in items if i.listed_at]
    if issued:
        b.add(node, DCT.issued, _moment(min(issued)))
        b.add(node, DCT.modified, _moment(max(i.updated_at for i in items)))
    served = [b.product(p, data.organizations[p.provider.id]) for p in data.products]
    described = (b.dataset(d, data.organizations[d.provider.id], data.dataset_licence) for d in data.datasets)
    for dataset in [*served, *described]:
        b.add(node, DCAT.dataset, dataset)
    b.add(node, DCAT.service, b.dsp_service(served))
    return b.g


def product_graph(session: Session, actor: Actor, slug: str, uris: Uris) -> Graph:
    """One product the actor may see, as its page shows it."""
    product = products.get_product(session, actor, slug)
    b = _Builder(uris)
    b.product(product, get_organization(session, product.provider.id))
    return b.g


def dataset_graph(session: Session, actor: Actor, code: str, uris: Uris) -> Graph:
    """One dataset the actor may see, as its page shows it."""
    dataset = datasets.get_dataset(session, actor, code)
    b = _Builder(uris)
    b.dataset(dataset, get_organization(session, dataset.provider.id), dataset_licence(session))
    return b.g


def serialize(graph: Graph, fmt: str) -> bytes:
    """Turtle, or compact JSON-LD with its context embedded."""
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=CONTEXT, indent=1, ensure_ascii=False).encode()
    return graph.serialize(format="turtle", encoding="utf-8")


# --- HTTP -----------------------------------------------------------------------------------------
def _catalog_document(request: Request, fmt: str) -> tuple[str, bytes]:
    """The whole catalog in ``fmt`` and the catalog version it shows, built once per version."""
    cache = catalog_cache(request.app.state)
    uris = Uris(request.app.state.settings.base_url)
    with session_scope(request.app.state.engine) as session:
        version = catalog_version(session)  # first: a change made during the build shows as a newer one
        data = cache.get(
            "dcat.data", version, lambda: read_catalog(session, cached_products(cache, session, version))
        )
    return version, cache.get(f"dcat.{fmt}", version, lambda: serialize(catalog_graph(data, uris), fmt))


def _whole_catalog(fmt: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        catalog_cache(request.app.state)  # made here, on the event loop
        version, body = await run_in_threadpool(_catalog_document, request, fmt)
        etag = f'"catalog-{version}-{fmt}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}  # harvesters revalidate: 304 until a change
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=FORMATS[fmt][1], headers=headers)

    return endpoint


def _item(build: Callable[[Session, Actor, str, Uris], Graph], key: str, fmt: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        uris = Uris(request.app.state.settings.base_url)
        graph = await call(request, build, actor_for(request), request.path_params[key], uris)
        body = await run_in_threadpool(serialize, graph, fmt)
        return Response(body, media_type=FORMATS[fmt][1])

    return endpoint


async def catalog(request: Request) -> Response:
    """``/catalog`` (the catalog's URI and its fragments') sends readers to a document they accept."""
    accept = request.headers.get("accept", "")
    other = "dcat.catalog_jsonld" if "json" in accept else "portal.home"
    return redirect_to(request, "dcat.catalog_ttl" if "turtle" in accept else other)


# These paths end in a suffix no slug or code contains (both are letters, digits and hyphens), so
# they must come before ``/products/{slug}`` and ``/datasets/{code}``, which would take them.
routes: list[BaseRoute] = [
    Route("/catalog", catalog, name="dcat.catalog"),
    *(Route(f"/catalog.{fmt}", _whole_catalog(fmt), name=f"dcat.catalog_{fmt}") for fmt in FORMATS),
    *(
        Route(f"/products/{{slug}}.{fmt}", _item(product_graph, "slug", fmt), name=f"dcat.product_{fmt}")
        for fmt in FORMATS
    ),
    *(
        Route(f"/datasets/{{code}}.{fmt}", _item(dataset_graph, "code", fmt), name=f"dcat.dataset_{fmt}")
        for fmt in FORMATS
    ),
]
