"""The Dataspace Protocol 2025-1 catalog: connectors send a ``CatalogRequestMessage`` to
``POST /dsp/catalog/request`` and get the ``Catalog`` of listed products, each licence as an ODRL
``Offer`` of that product; ``GET /dsp/catalog/datasets/{id}`` answers one ``Dataset``. Errors are
``CatalogError`` messages. The port serves the catalog only: negotiation and transfer go through an
access request on the product's page, so each distribution names that way as its format.

Answers name the protocol's context by its URL, as the protocol requires; ``read_document`` parses
one with the copy below, so nothing is fetched.
"""

from __future__ import annotations

import copy
import json
import warnings
from typing import Any

from rdflib import Graph
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from catalog.db import session_scope
from catalog.errors import BadRequest, CatalogError, NotFound
from catalog.interop.rdf import (
    EN,
    ODRL,
    XSD,
    ZH,
    Constraint,
    Logical,
    Operand,
    Rule,
    Uris,
    cached_products,
    catalog_cache,
    catalog_version,
    product_policy,
)
from catalog.products.models import ProductDetail
from catalog.validation import JsonTooDeep, load_json

CONTEXT_URL = "https://w3id.org/dspace/2025/1/context.jsonld"
ODRL_PROFILE_URL = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"
DSPACE = "https://w3id.org/dspace/2025/1/"
CONTEXT = [CONTEXT_URL]
MESSAGE_TYPES = ("CatalogRequestMessage", "dspace:CatalogRequestMessage", f"{DSPACE}CatalogRequestMessage")

# How a product is delivered, as a DSP transfer type: HTTP pull where the licensee fetches the data
# (an API, files, an online platform); the port's own names where it does not.
TRANSFER_FORMATS = {
    "api": "HttpData-PULL",
    "file": "HttpData-PULL",
    "platform": "HttpData-PULL",
    "sandbox": "HADP-Sandbox",
    "offline": "HADP-Offline",
}
# A filter names product fields as the JSON API's filters do; values of one name are alternatives,
# names and filters must all match.
FILTERS = {
    "sector": lambda p: {s.id for s in p.sectors},
    "provider": lambda p: {p.provider.id},
    "license": lambda p: {p.license.code},
    "type": lambda p: {p.product_type},
    "delivery": lambda p: {p.delivery_mode},
    "price_model": lambda p: {p.price_model},
    "frequency": lambda p: {p.update_frequency},
}
# ODRL operators the protocol's schema names without a prefix (its profile defines them as terms).
OPERATORS: tuple[str, ...] = ("eq", "gt", "gteq", "lt", "lteq", "neq", "isA", "hasPart", "isPartOf")
OPERATORS += ("isAllOf", "isAnyOf", "isNoneOf")

_REF = {"@type": "@id"}
# The terms of https://w3id.org/dspace/2025/1/odrl-profile.jsonld.
ODRL_PROFILE: dict[str, Any] = {
    "odrl": str(ODRL),
    **{name: f"odrl:{name}" for name in ("Policy", "Rule", "prohibit", "Agreement", "Assertion", "Offer")},
    **{name: f"odrl:{name}" for name in ("Set", "Asset", "Action", "Permission", "Prohibition", "use")},
    **{name: f"odrl:{name}" for name in ("Duty", "Constraint", "Operator", "RightOperand", "LeftOperand")},
    **{name: f"odrl:{name}" for name in (*OPERATORS, "or", "xone", "and", "andSequence")},
    **{name: {**_REF, "@id": f"odrl:{name}"} for name in ("profile", "hasPolicy", "target", "assignee")},
    "assigner": {**_REF, "@id": "odrl:assigner"},
    **{name: {"@type": "@vocab", "@id": f"odrl:{name}"} for name in ("action", "operator", "leftOperand")},
    **{
        name: {**_REF, "@id": f"odrl:{name}", "@container": "@set"}
        for name in ("permission", "prohibition", "obligation", "duty", "constraint")
    },
    "rightOperand": "odrl:rightOperand",
}
_SET = {"@container": "@set"}
_SCOPED = {"@version": 1.1, "@protected": True}
# The catalog protocol's part of https://w3id.org/dspace/2025/1/context.jsonld (its negotiation and
# transfer terms are left out: this port serves the catalog only).
DSPACE_CONTEXT: dict[str, Any] = {
    **_SCOPED,
    "xsd": str(XSD),
    "dct": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "odrl": str(ODRL),
    "dspace": DSPACE,
    "DatasetRequestMessage": {
        "@id": "dspace:DatasetRequestMessage",
        "@context": {**_SCOPED, "dataset": "dspace:dataset"},
    },
    "CatalogRequestMessage": {
        "@id": "dspace:CatalogRequestMessage",
        "@context": {**_SCOPED, "filter": {"@id": "dspace:filter", **_SET}},
    },
    "CatalogError": {
        "@id": "dspace:CatalogError",
        "@context": {**_SCOPED, "code": "dspace:code", "reason": {"@id": "dspace:reason", **_SET}},
    },
    "Catalog": {
        "@id": "dcat:Catalog",
        "@context": {
            **_SCOPED,
            "service": {"@id": "dcat:service", **_SET},
            "participantId": {**_REF, "@id": "dspace:participantId"},
            "catalog": {"@id": "dcat:catalog", **_SET},
            "dataset": {"@id": "dcat:dataset", **_SET},
            "distribution": {"@id": "dcat:distribution", **_SET},
        },
    },
    "Dataset": {
        "@id": "dcat:Dataset",
        "@context": {
            **_SCOPED,
            "@import": ODRL_PROFILE_URL,
            "@propagate": True,
            "distribution": {"@id": "dcat:distribution", **_SET},
            "hasPolicy": {"@id": "odrl:hasPolicy", **_SET},
        },
    },
    "DataService": {
        "@id": "dcat:DataService",
        "@context": {
            **_SCOPED,
            "endpointDescription": "dcat:endpointDescription",
            "endpointURL": "dcat:endpointURL",
        },
    },
    "Distribution": {
        "@id": "dcat:Distribution",
        "@context": {
            **_SCOPED,
            "format": {"@type": "@vocab", "@id": "dct:format"},
            "accessService": {"@id": "dcat:accessService"},
        },
    },
}


class CatalogRequestError(Exception):
    """A request the catalog cannot answer, as a DSP ``CatalogError`` with a declared error's code and
    status."""

    def __init__(self, error: type[CatalogError], reason: str) -> None:
        super().__init__(reason)
        self.status, self.code, self.reason = error.status, error.code, reason


def error_document(error: CatalogRequestError) -> dict[str, Any]:
    return {"@context": CONTEXT, "@type": "CatalogError", "code": error.code, "reason": [error.reason]}


def _bad(reason: str) -> CatalogRequestError:
    return CatalogRequestError(BadRequest, reason)


# --- the request ----------------------------------------------------------------------------------
def read_request(body: bytes) -> list[dict[str, set[str]]]:
    """The filters of a ``CatalogRequestMessage`` body, checked; ``CatalogRequestError`` (400) naming
    what is wrong."""
    try:
        message = load_json(body or b"null")
    except JsonTooDeep as exc:
        raise _bad(f"the body is {exc}: send a CatalogRequestMessage") from None
    except (ValueError, UnicodeDecodeError):
        raise _bad("the body is not JSON: send a CatalogRequestMessage") from None
    if not isinstance(message, dict):
        raise _bad("the body must be a JSON object: a CatalogRequestMessage")
    context = message.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if CONTEXT_URL not in contexts:
        raise _bad(f'"@context" must name the Dataspace Protocol 2025-1 context, {CONTEXT_URL}')
    if message.get("@type") not in MESSAGE_TYPES:
        raise _bad('"@type" must be "CatalogRequestMessage"')
    filters = message.get("filter", [])
    if not isinstance(filters, list):
        raise _bad('"filter" must be a list of objects')
    return [_filter(item, number) for number, item in enumerate(filters, start=1)]


def _filter(item: Any, number: int) -> dict[str, set[str]]:
    supported = ", ".join(FILTERS)
    if not isinstance(item, dict):
        raise _bad(f"filter #{number} must be an object of product fields: {supported}")
    chosen: dict[str, set[str]] = {}
    for name, value in item.items():
        values = value if isinstance(value, list) else [value]
        if name not in FILTERS:
            raise _bad(f"filter #{number}: unknown field {name!r}; filter on {supported}")
        if not values or not all(isinstance(v, str) for v in values):
            raise _bad(f"filter #{number}: {name!r} takes a string or a list of strings")
        chosen[name] = set(values)
    return chosen


def matches(product: ProductDetail, filters: list[dict[str, set[str]]]) -> bool:
    return all(FILTERS[name](product) & values for item in filters for name, values in item.items())


# --- the answer -----------------------------------------------------------------------------------
def _texts(zh: str | None, en: str | None) -> list[dict[str, str]]:
    pairs = ((zh, ZH), (en, EN))
    return [
        {"@value": text.strip(), "@language": language} for text, language in pairs if text and text.strip()
    ]


def _compact(iri: str) -> str:
    return "odrl:" + iri[len(str(ODRL)) :] if iri.startswith(str(ODRL)) else iri


def _operand(operand: Operand) -> Any:
    if operand.iri:
        return {"@id": operand.value}
    if operand.language:
        return {"@value": operand.value, "@language": operand.language}
    if operand.datatype:
        datatype = operand.datatype.replace(str(XSD), "xsd:")
        return {"@value": operand.value, "@type": datatype}
    return operand.value


def _constraint(constraint: Constraint | Logical) -> dict[str, Any]:
    if isinstance(constraint, Logical):
        return {constraint.operator: [_constraint(c) for c in constraint.parts]}
    operator = _compact(constraint.operator).removeprefix("odrl:")
    right = [_operand(o) for o in constraint.right]
    return {
        "leftOperand": _compact(constraint.left),
        "operator": operator if operator in OPERATORS else _compact(constraint.operator),
        "rightOperand": right[0] if len(right) == 1 else right,
    }


def _rule(rule: Rule) -> dict[str, Any]:
    doc: dict[str, Any] = {"action": _compact(rule.action)}
    if rule.constraints:
        doc["constraint"] = [_constraint(c) for c in rule.constraints]
    for name, nested in rule.nested:
        doc.setdefault(name, []).append(_rule(nested))
    return doc


def offer_document(product: ProductDetail, uris: Uris) -> dict[str, Any]:
    """The product's licence as the provider's ODRL offer; no target (the enclosing dataset is it)."""
    offer: dict[str, Any] = {
        "@id": uris.product(product.id, "offer"),
        "@type": "Offer",
        "assigner": uris.agent(product.provider.id),
    }
    for kind, rules in product_policy(product).rules():
        offer[kind] = [_rule(rule) for rule in rules]
    return offer


def service_document(uris: Uris) -> dict[str, Any]:
    return {"@id": uris.dsp_service(), "@type": "DataService", "endpointURL": uris.dsp_service()}


def dataset_document(product: ProductDetail, uris: Uris, *, root: bool = False) -> dict[str, Any]:
    """One listed product as a DSP ``Dataset`` (``root``: a message of its own, with the context)."""
    dataset: dict[str, Any] = {"@context": CONTEXT} if root else {}
    dataset |= {
        "@id": uris.product(product.id),
        "@type": "Dataset",
        "dct:identifier": product.listing_no or product.id,
        "dct:title": _texts(product.title, product.title_en),
        "dct:description": _texts(product.summary, product.summary_en),
        "dct:publisher": {"@id": uris.agent(product.provider.id)},
        "dct:license": {"@id": uris.licence(product.license)},
        "dcat:landingPage": {"@id": uris.page(product.url)},
        "dcat:keyword": [{"@value": tag, "@language": ZH} for tag in product.tags],
        "dcat:theme": [{"@id": uris.sector(s.id)} for s in product.sectors],
        "hasPolicy": [offer_document(product, uris)],
        "distribution": [
            {
                "@type": "Distribution",
                "format": TRANSFER_FORMATS.get(product.delivery_mode, "HttpData-PULL"),
                "accessService": service_document(uris),
            }
        ],
    }
    return dataset


def catalog_document(products: list[ProductDetail], uris: Uris) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "@id": uris.catalog(),
        "@type": "Catalog",
        "participantId": uris.publisher(),
        "dct:title": _texts("淮安市数据港数据产品目录", "Huai'an Data Port data products"),
        "dct:publisher": {"@id": uris.publisher()},
        "service": [service_document(uris)],
        "dataset": [dataset_document(p, uris) for p in products],
    }


def local_context() -> dict[str, Any]:
    """The protocol's context with its ODRL profile imported from the copy here."""
    context = copy.deepcopy(DSPACE_CONTEXT)
    for definition in context.values():
        scoped = definition.get("@context", {}) if isinstance(definition, dict) else {}
        if scoped.get("@import") == ODRL_PROFILE_URL:
            del scoped["@import"]
            definition["@context"] = {**ODRL_PROFILE, **scoped}
    return context


def read_document(document: dict[str, Any], base: str) -> Graph:
    """A DSP message as RDF, its context taken from the copy here (rdflib would fetch the URL).
    ``base`` is the message's address: transfer formats such as ``HttpData-PULL`` are relative IRIs."""
    text = json.dumps(document).replace(json.dumps(CONTEXT_URL), json.dumps(local_context()))
    with warnings.catch_warnings():  # rdflib 7's JSON-LD parser uses its own deprecated ConjunctiveGraph
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=text, format="json-ld", publicID=base)


# --- HTTP -----------------------------------------------------------------------------------------
def _listed(request: Request) -> list[ProductDetail]:
    """The listed products, read once per catalog version."""
    cache = catalog_cache(request.app.state)
    with session_scope(request.app.state.engine) as session:
        version = catalog_version(session)
        return cached_products(cache, session, version)


def _error(error: CatalogRequestError) -> Response:
    return JSONResponse(error_document(error), status_code=error.status)


async def catalog_request(request: Request) -> Response:
    try:
        filters = read_request(await request.body())
    except CatalogRequestError as error:
        return _error(error)
    catalog_cache(request.app.state)
    products = await run_in_threadpool(_listed, request)
    uris = Uris(request.app.state.settings.base_url)
    return JSONResponse(catalog_document([p for p in products if matches(p, filters)], uris))


async def dataset(request: Request) -> Response:
    uris = Uris(request.app.state.settings.base_url)
    slug = uris.product_slug(request.path_params["id"])
    catalog_cache(request.app.state)
    products = await run_in_threadpool(_listed, request)
    found = next((p for p in products if p.id == slug), None)
    if found is None:
        reason = f"no listed product {request.path_params['id']!r} in this catalog"
        return _error(CatalogRequestError(NotFound, reason))
    return JSONResponse(dataset_document(found, uris, root=True))


routes: list[BaseRoute] = [
    Route("/dsp/catalog/request", catalog_request, methods=["POST"], name="dsp.catalog"),
    Route("/dsp/catalog/datasets/{id:path}", dataset, name="dsp.dataset"),
]
