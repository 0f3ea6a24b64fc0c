"""The Dataspace Protocol 2025-1 catalog, as a connector uses it: a CatalogRequestMessage answered by
a Catalog of the listed products, each with its licence as an ODRL Offer; one Dataset by its id;
CatalogError messages for bad requests; and the answers read as RDF with the protocol's context
taken from the local copy (nothing fetched)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from starlette.testclient import TestClient

from catalog import db
from catalog.app import create_app
from catalog.interop import dsp
from catalog.interop.rdf import DCAT, DCT, ODRL, XSD, Uris
from catalog.listings.services import TransitionRequest, transition
from catalog.permissions import SYSTEM
from catalog.seeding import read_yaml
from catalog.settings import Settings
from tests.conftest import SEED_DIR, copy_data_dir, make_settings

BASE = "http://127.0.0.1:8000"
URIS = Uris(BASE)


def iri(node: URIRef) -> str:
    """As JSON holds it (an rdflib URIRef never equals a plain string)."""
    return str(node)


DSPACE = URIRef("https://w3id.org/dspace/2025/1/participantId")
MESSAGE = {"@context": [dsp.CONTEXT_URL], "@type": "CatalogRequestMessage"}
STANDARD_PRODUCT = "parking-availability-api"  # hadp-standard: purpose, term, prohibitions, duties


@pytest.fixture(scope="module")
def connector(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    """A client without cookies, as a connector calls (the shared client may hold a CSRF cookie)."""
    data_dir = copy_data_dir(seeded_template, tmp_path_factory.mktemp("dsp") / "var", request)
    with TestClient(create_app(make_settings(data_dir)), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def catalog(connector: TestClient) -> dict[str, Any]:
    answer = connector.post("/dsp/catalog/request", json=MESSAGE)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    return answer.json()  # type: ignore[no-any-return]


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise AssertionError(f"rdflib tried to fetch a JSON-LD context: {args}")


def as_rdf(document: dict[str, Any], base: str) -> Graph:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("rdflib.plugins.shared.jsonld.context.source_to_json", _refuse)
        return dsp.read_document(document, base)


def listed_count(client: TestClient, **filters: str) -> int:
    return client.get("/api/v1/products", params={"per_page": 1, **filters}).json()["total"]  # type: ignore[no-any-return]


def by_id(catalog: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(d for d in catalog["dataset"] if d["@id"] == iri(URIS.product(slug)))


# --- the catalog ----------------------------------------------------------------------------------
@pytest.mark.both_backends
def test_a_catalog_request_answers_the_catalog_of_listed_products(
    catalog: dict[str, Any], connector: TestClient
) -> None:
    assert catalog["@context"] == ["https://w3id.org/dspace/2025/1/context.jsonld"]
    assert catalog["@type"] == "Catalog" and catalog["@id"] == iri(URIS.catalog())
    assert catalog["participantId"] == iri(URIS.publisher())
    (service,) = catalog["service"]
    assert service == {"@id": f"{BASE}/dsp", "@type": "DataService", "endpointURL": f"{BASE}/dsp"}
    assert len(catalog["dataset"]) == listed_count(connector)
    assert len({d["@id"] for d in catalog["dataset"]}) == len(catalog["dataset"])


def test_every_dataset_offers_its_licence_and_a_distribution(catalog: dict[str, Any]) -> None:
    for dataset in catalog["dataset"]:
        assert dataset["@type"] == "Dataset" and "@context" not in dataset
        (offer,) = dataset["hasPolicy"]
        assert offer["@type"] == "Offer" and offer["@id"] == dataset["@id"].replace("#dataset", "#offer")
        assert "target" not in offer  # the enclosing dataset is the target
        assert offer["permission"] and all(isinstance(rule["action"], str) for rule in offer["permission"])
        assert all(
            rules for kind, rules in offer.items() if kind in ("permission", "prohibition", "obligation")
        )
        (distribution,) = dataset["distribution"]
        assert distribution["@type"] == "Distribution" and distribution["format"]
        assert distribution["accessService"]["endpointURL"] == f"{BASE}/dsp"


def test_an_offer_carries_the_products_terms(catalog: dict[str, Any], connector: TestClient) -> None:
    product = connector.get(f"/api/v1/products/{STANDARD_PRODUCT}").json()
    offer = by_id(catalog, STANDARD_PRODUCT)["hasPolicy"][0]
    assert offer["assigner"] == iri(URIS.agent(product["provider"]["id"]))
    assert {rule["action"] for rule in offer["prohibition"]} == {
        "odrl:sell",
        "odrl:transfer",
        "odrl:distribute",
    }
    assert {"odrl:compensate", "odrl:anonymize", "odrl:delete"} <= {
        rule["action"] for rule in offer["obligation"]
    }
    (use,) = [rule for rule in offer["permission"] if rule["action"] == "odrl:use"]
    assert {"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": {
        "@value": product["permitted_purpose"], "@language": "zh-Hans"}} in use["constraint"]  # fmt: skip
    term = {"@value": f"P{product['usage_term_months']}M", "@type": "xsd:duration"}
    assert {"leftOperand": "odrl:elapsedTime", "operator": "lteq", "rightOperand": term} in use["constraint"]
    # the fee, at most its cap (65号), is the duty to pay that comes with use
    (pay,) = [duty for duty in use["duty"] if duty["action"] == "odrl:compensate"]
    cap = {"@value": f"{product['price_cap']['amount']:g}", "@type": "xsd:decimal"}
    assert {"leftOperand": "odrl:payAmount", "operator": "lteq", "rightOperand": cap} in pay["constraint"]


def test_a_filter_narrows_the_catalog(connector: TestClient) -> None:
    message = {**MESSAGE, "filter": [{"sector": "transport"}, {"type": ["api", "dataset"]}]}
    answer = connector.post("/dsp/catalog/request", json=message).json()
    expected = connector.get("/api/v1/products", params={"sector": "transport", "type": ["api", "dataset"]})
    assert len(answer["dataset"]) == expected.json()["total"] > 0
    assert all(
        iri(URIS.sector("transport")) in [t["@id"] for t in d["dcat:theme"]] for d in answer["dataset"]
    )


# --- one dataset ----------------------------------------------------------------------------------
def test_one_dataset_is_found_by_its_id_or_its_slug(connector: TestClient, catalog: dict[str, Any]) -> None:
    by_slug = connector.get(f"/dsp/catalog/datasets/{STANDARD_PRODUCT}")
    by_iri = connector.get("/dsp/catalog/datasets/" + quote(URIS.product(STANDARD_PRODUCT), safe=""))
    assert by_slug.status_code == by_iri.status_code == 200
    dataset = by_slug.json()
    assert dataset == by_iri.json()
    assert dataset.pop("@context") == [dsp.CONTEXT_URL]
    assert dataset == by_id(catalog, STANDARD_PRODUCT)


def draft_slug() -> str:
    for path in sorted((SEED_DIR / "products").glob("*.yaml")):
        for product in read_yaml(path):
            if product["status"] == "draft":
                return str(product["slug"])
    raise AssertionError("the seed has no draft product")


@pytest.mark.parametrize("name", ["no-such-product", "draft"])
def test_an_unknown_or_unlisted_dataset_is_a_catalog_error(connector: TestClient, name: str) -> None:
    answer = connector.get(f"/dsp/catalog/datasets/{draft_slug() if name == 'draft' else name}")
    assert answer.status_code == 404
    error = answer.json()
    assert error["@context"] == [dsp.CONTEXT_URL] and error["@type"] == "CatalogError"
    assert error["code"] == "not_found" and error["reason"]


# --- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"@type": "CatalogRequestMessage"}', "@context"),
        (b'{"@context": ["https://w3id.org/dspace/2024/1/context.json"], '
         b'"@type": "CatalogRequestMessage"}', "2025-1"),
        (b'{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], '
         b'"@type": "DatasetRequestMessage"}', "@type"),
        (b'{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage", '
         b'"filter": {"sector": "transport"}}', "list"),
        (b'{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage", '
         b'"filter": [{"colour": "red"}]}', "colour"),
        (b'{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage", '
         b'"filter": [{"sector": 7}]}', "string"),
    ],
)  # fmt: skip
def test_a_bad_request_is_a_catalog_error(connector: TestClient, body: bytes, named: str) -> None:
    answer = connector.post(
        "/dsp/catalog/request", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    error = answer.json()
    assert error["@context"] == [dsp.CONTEXT_URL] and error["@type"] == "CatalogError"
    assert error["code"] == "bad_request"
    assert named in error["reason"][0]


# --- as RDF ---------------------------------------------------------------------------------------
def test_the_catalog_reads_as_rdf_with_the_local_context(catalog: dict[str, Any]) -> None:
    graph = as_rdf(catalog, f"{BASE}/dsp/catalog/request")
    root, service = URIS.catalog(), URIRef(f"{BASE}/dsp")
    assert (root, RDF.type, DCAT.Catalog) in graph
    assert (root, DSPACE, URIS.publisher()) in graph
    assert (root, DCAT.service, service) in graph
    assert (service, DCAT.endpointURL, Literal(f"{BASE}/dsp")) in graph
    assert len(list(graph.objects(root, DCAT.dataset))) == len(catalog["dataset"])


def test_a_dataset_reads_as_the_expected_triples(connector: TestClient) -> None:
    address = f"{BASE}/dsp/catalog/datasets/{STANDARD_PRODUCT}"
    graph = as_rdf(connector.get(address).json(), address)
    dataset, offer = URIS.product(STANDARD_PRODUCT), URIS.product(STANDARD_PRODUCT, "offer")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert (dataset, DCT.title, Literal("淮安公共停车泊位实时余位接口", lang="zh-Hans")) in graph
    assert (dataset, ODRL.hasPolicy, offer) in graph and (offer, RDF.type, ODRL.Offer) in graph
    actions = {graph.value(rule, ODRL.action) for rule in graph.objects(offer, ODRL.permission)}
    assert {ODRL.use, ODRL.reproduce, ODRL.derive} <= actions
    assert {graph.value(r, ODRL.action) for r in graph.objects(offer, ODRL.prohibition)} >= {ODRL.sell}
    rules = graph.objects(offer, ODRL.permission)
    operators = {
        graph.value(c, ODRL.operator) for rule in rules for c in graph.objects(rule, ODRL.constraint)
    }
    assert {ODRL.eq, ODRL.lteq} <= operators
    durations = [
        o for o in graph.objects(None, ODRL.rightOperand) if getattr(o, "datatype", None) == XSD.duration
    ]
    assert durations
    distribution = graph.value(dataset, DCAT.distribution)
    assert graph.value(distribution, DCAT.accessService) == URIRef(f"{BASE}/dsp")
    assert str(graph.value(distribution, DCT["format"])).endswith(
        "/HttpData-PULL"
    )  # relative: DSP's own naming


def test_the_dsp_offer_is_the_dcat_offer(connector: TestClient) -> None:
    """Both doors name the same offer, so a client may merge what each says."""
    turtle = connector.get(f"/products/{STANDARD_PRODUCT}.ttl")
    assert turtle.status_code == 200
    graph = Graph().parse(data=turtle.text, format="turtle")
    offer = connector.get(f"/dsp/catalog/datasets/{STANDARD_PRODUCT}").json()["hasPolicy"][0]["@id"]
    assert (URIS.product(STANDARD_PRODUCT, "distribution"), ODRL.hasPolicy, URIRef(offer)) in graph


# --- the catalog follows changes ------------------------------------------------------------------
def test_a_delisted_product_leaves_the_dsp_catalog(seeded_settings: Settings) -> None:
    with TestClient(create_app(seeded_settings)) as client:
        first = client.post("/dsp/catalog/request", json=MESSAGE).json()
        assert any(d["@id"] == iri(URIS.product(STANDARD_PRODUCT)) for d in first["dataset"])
        engine = db.make_engine(seeded_settings.database_url)
        with db.session_scope(engine) as session:
            delist = TransitionRequest(to="delisted", reason="数据源停止更新，暂停挂牌")
            transition(session, seeded_settings, SYSTEM, "product", STANDARD_PRODUCT, delist)
        engine.dispose()
        after = client.post("/dsp/catalog/request", json=MESSAGE).json()
        assert len(after["dataset"]) == len(first["dataset"]) - 1
        assert client.get(f"/dsp/catalog/datasets/{STANDARD_PRODUCT}").status_code == 404
