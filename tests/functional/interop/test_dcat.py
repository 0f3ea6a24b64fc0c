"""The DCAT-AP 3 exports, checked as a harvester would: the whole catalog in Turtle and JSON-LD
conforms to the official DCAT-AP 3.0.1 shapes (``shapes.ttl`` and ``range.ttl`` from ../shared),
every distribution carries its licence and ODRL offer, texts carry language tags, and each item has
its own export beside its page."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pyshacl import validate
from rdflib import RDF, RDFS, SH, BNode, Graph, Literal, URIRef
from rdflib.term import Node
from starlette.testclient import TestClient

from catalog import db
from catalog.app import create_app
from catalog.interop.rdf import ADMS, DCAT, DCT, FOAF, ODRL, PROV, SKOS, XSD, Uris
from catalog.listings.services import TransitionRequest, transition
from catalog.permissions import SYSTEM
from catalog.seeding import read_yaml
from catalog.settings import PROJECT_ROOT, Settings
from tests.conftest import SEED_DIR

SHAPES = PROJECT_ROOT.parent / "shared" / "standards" / "dcat-ap" / "shacl"
FORMATS = {"ttl": ("turtle", "text/turtle; charset=utf-8"), "jsonld": ("json-ld", "application/ld+json")}
ZH, EN = "zh-Hans", "en"
OPEN_PRODUCT = "river-lake-daily-level-open-data"  # cc-by-4.0, from dataset HA-SLJ-001, daily
STANDARD_PRODUCT = "parking-availability-api"  # hadp-standard: purpose, term, prohibitions, duties
URIS = Uris("http://127.0.0.1:8000")
# rdflib 7's JSON-LD parser builds on its own deprecated ConjunctiveGraph
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise AssertionError(f"rdflib tried to fetch a JSON-LD context: {args}")


@contextmanager
def no_fetching() -> Iterator[None]:
    """Any attempt of rdflib to load a remote JSON-LD context fails the test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("rdflib.plugins.shared.jsonld.context.source_to_json", _refuse)
        yield


def parse(text: str, fmt: str) -> Graph:
    with no_fetching():
        return Graph().parse(data=text, format=FORMATS[fmt][0])


@pytest.fixture(scope="module")
def shapes() -> Graph:
    if not SHAPES.is_dir():
        pytest.skip(f"the DCAT-AP 3.0.1 shapes are not at {SHAPES}: clone ../shared beside the repository")
    return Graph().parse(SHAPES / "shapes.ttl").parse(SHAPES / "range.ttl")


@pytest.fixture(scope="module")
def exports(client: TestClient) -> dict[str, str]:
    """The whole catalog as each format serves it."""
    answers = {fmt: client.get(f"/catalog.{fmt}") for fmt in FORMATS}
    for fmt, answer in answers.items():
        assert answer.status_code == 200
        assert answer.headers["content-type"] == FORMATS[fmt][1]
    return {fmt: answer.text for fmt, answer in answers.items()}


@pytest.fixture(scope="module")
def graph(exports: dict[str, str]) -> Graph:
    return parse(exports["ttl"], "ttl")


@pytest.fixture(scope="module")
def graphs(exports: dict[str, str], graph: Graph) -> dict[str, Graph]:
    return {"ttl": graph, "jsonld": parse(exports["jsonld"], "jsonld")}


def violations(graph: Graph, shapes: Graph) -> tuple[bool, str]:
    conforms, _results, text = validate(graph, shacl_graph=shapes, inference="none")
    return conforms, text


def results(graph: Graph, shapes: Graph) -> set[tuple[Node, Node, Node]]:
    """Each violation as (focus node, property, the shape's constraint component)."""
    _conforms, found, _text = validate(graph, shacl_graph=shapes, inference="none")
    assert isinstance(found, Graph)
    return {
        (
            found.value(r, SH.focusNode),
            found.value(r, SH.resultPath),
            found.value(r, SH.sourceConstraintComponent),
        )
        for r in found.subjects(RDF.type, SH.ValidationResult)
    }


def objects(graph: Graph, subject: Node, predicate: URIRef) -> list[Node]:
    return list(graph.objects(subject, predicate))


def listed_counts(client: TestClient) -> int:
    stats = client.get("/api/v1/stats").json()
    return stats["products"]["listed"] + stats["datasets"]["listed"]


def seed_slug(status: str) -> str:
    for path in sorted((SEED_DIR / "products").glob("*.yaml")):
        for product in read_yaml(path):
            if product["status"] == status:
                return str(product["slug"])
    raise AssertionError(f"the seed has no {status} product")


# --- the whole catalog ----------------------------------------------------------------------------
@pytest.mark.slow
def test_whole_catalog_conforms_to_the_dcat_ap_shapes(graph: Graph, shapes: Graph) -> None:
    """The Turtle export; the JSON-LD one holds the same triples (below), so it conforms as well."""
    conforms, report = violations(graph, shapes)
    assert conforms, report


def test_the_shapes_find_a_missing_mandatory_property_and_an_untyped_publisher(
    graph: Graph, shapes: Graph
) -> None:
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    product, agent = URIS.product(OPEN_PRODUCT), URIS.agent("sjgyy")
    broken.remove((product, DCT.description, None))
    broken.remove((agent, RDF.type, FOAF.Agent))
    found = results(broken, shapes)
    assert (product, DCT.description, SH.MinCountConstraintComponent) in found
    assert (product, DCT.publisher, SH.ClassConstraintComponent) in found
    assert {focus for focus, _path, _component in found} <= set(graph.subjects(DCT.publisher, agent))


def test_both_formats_hold_the_same_triples(graphs: dict[str, Graph]) -> None:
    """Triple for triple: the same named nodes and literals, and the same triples through blank nodes
    (whose names each parse makes up, so they are compared with the blank node left out)."""

    def shape(graph: Graph) -> Counter[tuple[Node | None, ...]]:
        return Counter(tuple(None if isinstance(n, BNode) else n for n in triple) for triple in graph)

    assert len(graphs["ttl"]) == len(graphs["jsonld"]) > 10000
    assert shape(graphs["ttl"]) == shape(graphs["jsonld"])


@pytest.mark.both_backends
def test_the_catalog_holds_the_listed_products_and_datasets(graph: Graph, client: TestClient) -> None:
    catalog = URIS.catalog()
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert len(objects(graph, catalog, DCAT.dataset)) == listed_counts(client)
    assert (catalog, DCAT.dataset, URIS.product(OPEN_PRODUCT)) in graph
    assert (catalog, DCAT.dataset, URIS.dataset("HA-SLJ-001")) in graph


def test_products_in_publicity_and_drafts_are_left_out(graph: Graph, client: TestClient) -> None:
    in_publicity = client.get("/api/v1/products", params={"status": "publicity"}).json()["items"]
    assert in_publicity
    for slug in [p["id"] for p in in_publicity] + [seed_slug("draft")]:
        assert (URIS.product(slug), RDF.type, DCAT.Dataset) not in graph


def test_titles_and_descriptions_carry_language_tags(graph: Graph) -> None:
    for item in graph.subjects(RDF.type, DCAT.Dataset):
        titles = objects(graph, item, DCT.title)
        descriptions = objects(graph, item, DCT.description)
        assert all(isinstance(t, Literal) and t.language in (ZH, EN) for t in titles + descriptions)
        assert {t.language for t in titles} == {ZH, EN}, item  # type: ignore[attr-defined]
        assert ZH in {d.language for d in descriptions}, item  # type: ignore[attr-defined]
        assert all(k.language == ZH for k in objects(graph, item, DCAT.keyword))  # type: ignore[attr-defined]


def test_every_distribution_carries_its_licence_and_an_odrl_offer(graph: Graph) -> None:
    distributions = list(graph.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) == len(list(graph.objects(None, DCAT.distribution))) > 200
    for distribution in distributions:
        (licence,) = objects(graph, distribution, DCT.license)
        assert (licence, RDF.type, DCT.LicenseDocument) in graph
        assert {label.language for label in objects(graph, licence, RDFS.label)} == {ZH, EN}  # type: ignore[attr-defined]
        (offer,) = objects(graph, distribution, ODRL.hasPolicy)
        assert {ODRL.Policy, ODRL.Offer} <= set(objects(graph, offer, RDF.type))
        assert objects(graph, offer, ODRL.assigner) and objects(graph, offer, ODRL.target)
        permissions = objects(graph, offer, ODRL.permission)
        assert permissions and all((p, RDF.type, ODRL.Permission) in graph for p in permissions)
        assert all(objects(graph, p, ODRL.action) for p in permissions)


def test_an_open_licence_offer_permits_use_with_attribution(graph: Graph) -> None:
    offer = URIS.product(OPEN_PRODUCT, "offer")
    permitted = {graph.value(p, ODRL.action) for p in graph.objects(offer, ODRL.permission)}
    assert {ODRL.use, ODRL.reproduce, ODRL.distribute, ODRL.derive} <= permitted
    assert {graph.value(d, ODRL.action) for d in graph.objects(offer, ODRL.obligation)} == {ODRL.attribute}
    distribution = URIS.product(OPEN_PRODUCT, "distribution")
    assert graph.value(distribution, DCT.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")


def test_a_port_licence_offer_takes_the_products_purpose_and_term(graph: Graph, client: TestClient) -> None:
    product = client.get(f"/api/v1/products/{STANDARD_PRODUCT}").json()
    offer = URIS.product(STANDARD_PRODUCT, "offer")
    assert (offer, ODRL.assigner, URIS.agent(product["provider"]["id"])) in graph
    prohibited = {graph.value(p, ODRL.action) for p in graph.objects(offer, ODRL.prohibition)}
    assert prohibited == {ODRL.sell, ODRL.transfer, ODRL.distribute}
    duties = {graph.value(d, ODRL.action) for d in graph.objects(offer, ODRL.obligation)}
    assert {ODRL.compensate, ODRL.anonymize, ODRL.delete} <= duties
    (use,) = [p for p in graph.objects(offer, ODRL.permission) if graph.value(p, ODRL.action) == ODRL.use]
    terms = {graph.value(c, ODRL.leftOperand): c for c in graph.objects(use, ODRL.constraint)}
    purpose, term = terms[ODRL.purpose], terms[ODRL.elapsedTime]
    assert graph.value(purpose, ODRL.rightOperand) == Literal(product["permitted_purpose"], lang=ZH)
    assert (purpose, ODRL.operator, ODRL.eq) in graph and (term, ODRL.operator, ODRL.lteq) in graph
    months = graph.value(term, ODRL.rightOperand)
    assert months.datatype == XSD.duration  # type: ignore[union-attr]
    assert months == Literal(f"P{product['usage_term_months']}M", datatype=XSD.duration)


def test_a_datasets_formats_are_distributions_under_the_ports_agreement(
    graph: Graph, client: TestClient
) -> None:
    dataset = URIS.dataset("HA-SLJ-001")
    formats = client.get("/api/v1/datasets/HA-SLJ-001").json()["formats"]
    distributions = objects(graph, dataset, DCAT.distribution)
    assert len(distributions) == len(formats) > 1
    agreement = URIRef("https://data.huaian.gov.cn/licences/hadp-standard")
    offer = URIS.dataset("HA-SLJ-001", "offer")
    for distribution in distributions:
        assert graph.value(distribution, DCT.license) == agreement
        assert graph.value(distribution, ODRL.hasPolicy) == offer
        assert graph.value(distribution, DCAT.accessURL) == URIRef(
            "http://127.0.0.1:8000/datasets/HA-SLJ-001"
        )
    csv = URIS.dataset("HA-SLJ-001", "distribution-csv")
    assert graph.value(csv, DCT["format"]) == URIRef(
        "http://publications.europa.eu/resource/authority/file-type/CSV"
    )
    assert (offer, ODRL.assigner, URIS.agent("slj")) in graph and (offer, ODRL.target, dataset) in graph


def test_sectors_are_the_theme_taxonomy(graph: Graph) -> None:
    (scheme,) = objects(graph, URIS.catalog(), DCAT.themeTaxonomy)
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph and objects(graph, scheme, DCT.title)
    sectors = read_yaml(SEED_DIR / "sectors.yaml")
    concepts = set(graph.subjects(SKOS.inScheme, scheme))
    assert concepts == {URIS.sector(s["slug"]) for s in sectors}
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in graph
        assert {label.language for label in objects(graph, concept, SKOS.prefLabel)} == {ZH, EN}  # type: ignore[attr-defined]
    themes = set(graph.objects(None, DCAT.theme))
    assert themes and themes <= concepts
    assert (URIS.product(OPEN_PRODUCT), DCAT.theme, URIS.sector("natural-resources")) in graph


def test_a_products_source_datasets_are_its_lineage(graph: Graph) -> None:
    assert objects(graph, URIS.product(OPEN_PRODUCT), PROV.wasDerivedFrom) == [URIS.dataset("HA-SLJ-001")]
    assert (URIS.dataset("HA-SLJ-001"), RDF.type, DCAT.Dataset) in graph


def test_publishers_are_named_agents(graph: Graph) -> None:
    publishers = set(graph.objects(None, DCT.publisher))
    assert URIS.publisher() in publishers and URIS.agent("slj") in publishers
    for agent in publishers:
        assert (agent, RDF.type, FOAF.Agent) in graph
        assert {name.language for name in objects(graph, agent, FOAF.name)} >= {ZH}  # type: ignore[attr-defined]


def test_frequency_access_rights_and_coverage_use_the_eu_vocabularies(graph: Graph) -> None:
    eu = "http://publications.europa.eu/resource/authority/"
    product = URIS.product(OPEN_PRODUCT)
    assert graph.value(product, DCT.accrualPeriodicity) == URIRef(f"{eu}frequency/DAILY")
    assert graph.value(product, DCT.accessRights) == URIRef(f"{eu}access-right/PUBLIC")  # open and free
    assert graph.value(URIS.product(STANDARD_PRODUCT), DCT.accessRights) == URIRef(
        f"{eu}access-right/RESTRICTED"
    )
    for value in graph.objects(None, DCT.accrualPeriodicity):
        assert str(value).startswith(f"{eu}frequency/") and (value, RDF.type, DCT.Frequency) in graph
    region = graph.value(product, DCT.spatial)
    assert (region, RDF.type, DCT.Location) in graph
    assert graph.value(region, DCT.identifier) == Literal("320800")
    assert (URIS.catalog(), DCT.spatial, region) in graph


def test_dates_are_typed_and_well_formed(graph: Graph) -> None:
    """shapes.ttl's date checks never fire (``sh:shape`` for ``sh:node`` upstream): checked here."""
    dates = [
        o for p in (DCT.issued, DCT.modified, DCAT.startDate, DCAT.endDate) for o in graph.objects(None, p)
    ]
    assert len(dates) > 600
    for value in dates:
        assert isinstance(value, Literal) and value.datatype in (XSD.date, XSD.dateTime), value
        assert not value.ill_typed, value
    assert all(objects(graph, item, DCT.issued) for item in graph.subjects(RDF.type, DCAT.Dataset))


def test_the_jsonld_export_embeds_its_context(exports: dict[str, str]) -> None:
    document = json.loads(exports["jsonld"])
    context = document["@context"]
    assert isinstance(context, dict)
    assert context["dcat"] == str(DCAT) and context["odrl"] == str(ODRL) and context["dct"] == str(DCT)
    assert document["@graph"]


def test_harvesters_revalidate_the_catalog_with_its_etag(client: TestClient, exports: dict[str, str]) -> None:
    etag = client.get("/catalog.ttl").headers["etag"]
    again = client.get("/catalog.ttl", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    assert client.get("/catalog.jsonld").headers["etag"] != etag


def test_the_catalog_uri_sends_readers_to_an_export(client: TestClient) -> None:
    for accept, target in (("text/turtle", "/catalog.ttl"), ("application/ld+json", "/catalog.jsonld")):
        answer = client.get("/catalog", headers={"accept": accept}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == target


# --- one item -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_products_export_describes_it_and_conforms(client: TestClient, shapes: Graph, fmt: str) -> None:
    answer = client.get(f"/products/{STANDARD_PRODUCT}.{fmt}")
    assert answer.status_code == 200 and answer.headers["content-type"] == FORMATS[fmt][1]
    graph = parse(answer.text, fmt)
    product = URIS.product(STANDARD_PRODUCT)
    assert (product, RDF.type, DCAT.Dataset) in graph
    distribution = graph.value(product, DCAT.distribution)
    assert (distribution, ODRL.hasPolicy, URIS.product(STANDARD_PRODUCT, "offer")) in graph
    conforms, report = violations(graph, shapes)
    assert conforms, report


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_datasets_export_describes_it_and_conforms(client: TestClient, shapes: Graph, fmt: str) -> None:
    answer = client.get(f"/datasets/HA-SLJ-001.{fmt}")
    assert answer.status_code == 200 and answer.headers["content-type"] == FORMATS[fmt][1]
    graph = parse(answer.text, fmt)
    dataset = URIS.dataset("HA-SLJ-001")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert graph.value(dataset, DCT.identifier) == Literal("HA-SLJ-001")
    assert (dataset, DCAT.landingPage, URIRef("http://127.0.0.1:8000/datasets/HA-SLJ-001")) in graph
    conforms, report = violations(graph, shapes)
    assert conforms, report


def test_item_exports_leave_the_pages_alone(client: TestClient) -> None:
    for path in (f"/products/{STANDARD_PRODUCT}", "/datasets/HA-SLJ-001"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")


def test_unknown_and_unlisted_items_have_no_export(client: TestClient) -> None:
    for path in (
        "/products/no-such-product.ttl",
        f"/products/{seed_slug('draft')}.ttl",
        "/datasets/NOPE.jsonld",
    ):
        assert client.get(path).status_code == 404, path


# --- the cache follows the catalog ----------------------------------------------------------------
@pytest.mark.slow
def test_a_delisted_product_leaves_the_catalog(seeded_settings: Settings) -> None:
    with TestClient(create_app(seeded_settings)) as app:
        named = f"<{URIS.product(OPEN_PRODUCT)}> a dcat:Dataset"
        before = app.get("/catalog.ttl")
        assert named in before.text
        engine = db.make_engine(seeded_settings.database_url)
        with db.session_scope(engine) as session:
            delist = TransitionRequest(to="delisted", reason="数据源停止更新，暂停挂牌")
            transition(session, seeded_settings, SYSTEM, "product", OPEN_PRODUCT, delist)
        engine.dispose()
        after = app.get("/catalog.ttl", headers={"if-none-match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        assert named not in after.text and f"<{URIS.product(STANDARD_PRODUCT)}> a dcat:Dataset" in after.text


def test_item_pages_link_their_linked_data(client: TestClient) -> None:
    """A listed product's and dataset's pages point harvesters at their Turtle and JSON-LD."""
    slug = seed_slug("listed")
    dataset = client.get("/api/v1/datasets", params={"per_page": 1}).json()["items"][0]["id"]
    for page in (f"/products/{slug}", f"/datasets/{dataset}"):
        html = client.get(page).text
        links = re.findall(
            r'<link rel="alternate" type="(text/turtle|application/ld\+json)" href="([^"]+)">', html
        )
        assert {kind for kind, _ in links} == {"text/turtle", "application/ld+json"}
        for kind, href in links:
            answer = client.get(href)
            assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)


def test_the_registration_is_an_identifier_with_its_validity_and_the_fee_a_duty_within_its_cap(
    graph: Graph, client: TestClient
) -> None:
    product = client.get(f"/api/v1/products/{STANDARD_PRODUCT}").json()
    registration = product["registration"]
    (ident,) = graph.objects(URIS.product(STANDARD_PRODUCT), ADMS.identifier)
    assert ident == URIRef(URIS.page(f"/verify/{registration['code']}"))
    assert graph.value(ident, SKOS.notation) == Literal(registration["code"])
    assert graph.value(ident, DCT.valid) == Literal(registration["valid_until"], datatype=XSD.date)
    (use,) = [
        p
        for p in graph.objects(URIS.product(STANDARD_PRODUCT, "offer"), ODRL.permission)
        if graph.value(p, ODRL.action) == ODRL.use
    ]
    (pay,) = [d for d in graph.objects(use, ODRL.duty) if graph.value(d, ODRL.action) == ODRL.compensate]
    amounts = {
        graph.value(c, ODRL.operator): graph.value(c, ODRL.rightOperand)
        for c in graph.objects(pay, ODRL.constraint)
    }
    assert product["price"] is not None and product["price_cap"] is not None
    assert (
        float(amounts[ODRL.eq]) == product["price"]
        and float(amounts[ODRL.lteq]) == product["price_cap"]["amount"]
    )
    assert amounts[ODRL.lteq].datatype == XSD.decimal  # type: ignore[union-attr]
