"""OpenAPI 3.1 for the JSON API v1 at ``/api/v1/openapi.json``, and the reference page at ``/api``.

The document is built from one table, ``OPERATIONS`` (a row per route and method), and the pydantic
models the handlers parse and answer with; answers the handlers build as dictionaries are described by
the models below. ``tests/functional/interop/test_openapi.py`` fails when a ``/api/v1`` route has no row, and
checks real answers against the documented schemas.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from catalog import __version__, errors
from catalog.accounts.auth import AccountPublic, TokenCreate, TokenPublic
from catalog.accounts.models import OrganizationPublic
from catalog.audit.services import AuditEventPublic, AuditFilters
from catalog.authorizations.models import AuthorizationPublic
from catalog.authorizations.services import AuthorizationFilters
from catalog.datasets.models import (
    AssessmentCreate,
    AssessmentPublic,
    DatasetCreate,
    DatasetDetail,
    DatasetSummary,
)
from catalog.licences.models import LicencePublic
from catalog.listings.filters import DatasetFilters, ProductFilters
from catalog.listings.services import (
    ObjectionAnswer,
    ObjectionCreate,
    ObjectionPublic,
    TimelineEntry,
    TransitionRequest,
)
from catalog.pagination import Page, PageParams
from catalog.products.models import ProductCreate, ProductDetail, ProductSummary
from catalog.products.revisions import RevisionPublic
from catalog.products.samples import SamplePublic
from catalog.registrations.models import RegistrationPublic
from catalog.registrations.services import Correction
from catalog.requests.services import MessageCreate, RequestCreate, RequestPublic, StepRequest
from catalog.requests.workflow import DELIVERY_METHODS
from catalog.vocabularies import OrganizationKind
from catalog.web import LIFECYCLE_FIELDS, render


# --- answers the handlers build as dictionaries --------------------------------------------------
class FacetValue(BaseModel):
    """One value of a filter with its count; passing ``value`` as the filter finds ``count`` items."""

    value: str
    label: str
    label_en: str
    count: int


class SearchResults(BaseModel):
    """Both catalogs for one query."""

    query: str
    products: Page[ProductSummary]
    datasets: Page[DatasetSummary]


class TransitionResult(BaseModel):
    """The item's new state and its whole timeline."""

    status: str
    timeline: list[TimelineEntry]


class ObjectionList(BaseModel):
    items: list[ObjectionPublic]


class RevisionAnswer(BaseModel):
    """A listed product's new version, under review while the listed version stays public."""

    revision: RevisionPublic


class PendingRevision(BaseModel):
    """The open new version, or null when there is none (or the caller may not see it)."""

    revision: RevisionPublic | None


class TokenList(BaseModel):
    items: list[TokenPublic]


class NewToken(TokenPublic):
    """A new token: ``token`` is its secret, shown in this answer only."""

    token: str


class Revoked(BaseModel):
    revoked: Literal[True]


def _exactly_one(schema: dict[str, Any]) -> None:
    schema.update(minProperties=1, maxProperties=1)
    for prop in schema["properties"].values():
        prop.pop("default", None)  # "" stands for "not given", which the schema says by leaving it out


class FollowTarget(BaseModel):
    """One product (by id) or one provider (by organization id): exactly one of the two."""

    model_config = ConfigDict(json_schema_extra=_exactly_one)

    product: str = Field(default="", min_length=1, description="a data product's id")
    provider: str = Field(default="", min_length=1, description="an organization's id")


class Following(BaseModel):
    """Whether the caller's organization follows it now (the one target named is echoed)."""

    product: str = Field(default="", description="a data product's id")
    provider: str = Field(default="", description="an organization's id")
    following: bool


class RequestList(BaseModel):
    items: list[RequestPublic]
    total: int


class DeliveryDetails(BaseModel):
    """What the provider delivered: a credential, a link, an account."""

    details: str


class TargetFigures(BaseModel):
    listed: int
    target: int
    progress: float
    remaining: int
    by_status: dict[str, int]
    total: int


class SectorFigures(BaseModel):
    sector: str
    name: str
    name_en: str
    products: int
    datasets: int


class RequestFigures(BaseModel):
    total: int
    by_status: dict[str, int]
    funnel: dict[str, int]
    rejection_rate: float
    median_hours_to_first_answer: float | None
    overdue: int


class Pipeline(BaseModel):
    draft: int
    in_review: int
    changes_requested: int
    publicity: int


class MonthFigures(BaseModel):
    month: str
    listed: int
    total: int


class Projection(BaseModel):
    listed: int
    target: int
    remaining: int
    pace_per_month: float
    needed_per_month: float
    reached_on: dt.date | None
    projected_date: dt.date | None
    on_track: bool | None


class ProviderFigures(BaseModel):
    id: str
    name: str
    name_en: str
    kind: str
    products: int
    datasets: int


class ValueCount(BaseModel):
    value: str
    products: int


class LicenceFigures(BaseModel):
    code: str
    name: str
    name_en: str
    products: int


class Breakdowns(BaseModel):
    provider: list[ProviderFigures]
    product_type: list[ValueCount]
    licence: list[LicenceFigures]
    use_category: list[ValueCount]


class Viewed(BaseModel):
    kind: str
    id: str
    title: str
    views: int


class Requested(BaseModel):
    id: str
    title: str
    requests: int


class Usage(BaseModel):
    days: int
    views: dict[str, int]
    most_viewed: list[Viewed]
    most_requested: list[Requested]


class CatalogStats(BaseModel):
    """The catalog's figures (``trend``, ``projection`` and ``pipeline`` by ``products``/``datasets``)."""

    products: TargetFigures
    datasets: TargetFigures
    as_of: dt.date
    deadline: dt.date
    days_to_deadline: int
    organizations: dict[str, int]
    by_sector: list[SectorFigures]
    requests: RequestFigures
    pipeline: dict[str, Pipeline]
    trend: dict[str, list[MonthFigures]]
    projection: dict[str, Projection]
    breakdowns: Breakdowns
    usage: Usage


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error of the API: a stable code and a message a person can act on.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, e.g. not_found, invalid"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "with 422: a message per field (dotted paths for nested fields)",
                },
                "allowed": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "with invalid_transition: the states the caller may move to now",
                },
                "existing": {
                    "type": "string",
                    "description": "with duplicate: the address of the open request",
                },
            },
        }
    },
}

# status -> its codes and when: every error declared in errors.py that a client can act on (the API
# documents no server error)
ERRORS = {
    status: "; ".join(f"{c.code}: {c.when}" for c in errors.declared() if c.status == status)
    for status in sorted({c.status for c in errors.declared() if c.status < 500})
}


# --- the table ----------------------------------------------------------------------------------
PUBLIC, SIGNED_IN, WRITE = "public", "signed_in", "write"


@dataclass(frozen=True)
class Body:
    """A request body: a model as JSON (less ``drop``; every field optional when ``partial``),
    or a multipart form with one file field ``upload``."""

    model: type[BaseModel] | None = None
    drop: tuple[str, ...] = ()
    partial: str = ""  # the component's name, when every field is optional
    extra: dict[str, Any] = field(default_factory=dict)  # properties only the partial form has
    upload: str = ""


@dataclass(frozen=True)
class Op:
    """One route and method of the API as the document describes it."""

    method: str
    path: str  # as the route declares it: Starlette's {name} or {name:int}
    id: str
    tag: str
    summary: str
    answers: dict[int, tuple[str, Any]]  # status -> (description, model or JSON schema)
    access: str = PUBLIC
    description: str = ""
    query: tuple[type[BaseModel], ...] = ()  # models whose fields are query parameters
    params: tuple[dict[str, Any], ...] = ()  # other parameters, as OpenAPI parameter objects
    body: Body | None = None
    errors: tuple[int, ...] = ()  # besides those its kind always can give (see ``error_statuses``)


PATH_PARAMETERS = {
    "slug": "the item's id (its address)",
    "code": "the item's code",
    "key": "a product's id, or a dataset's resource code",
    "id": "the request's number",
    "token_id": "the token's number",
    "objection_id": "the objection's number",
}
TRANSITION = "409 invalid_transition lists the states allowed now; 422 checklist_incomplete a missing item."
OBJECT = {"type": "object", "description": "an OpenAPI 3.1 document"}

# A year's disclosure: its report is the document the page and the XLSX show (see the README).
DISCLOSURE = {
    "type": "object",
    "required": ["year", "published", "published_at", "due_by", "report"],
    "properties": {
        "year": {"type": "integer"},
        "published": {"type": "boolean"},
        "published_at": {"type": ["string", "null"], "format": "date-time"},
        "due_by": {"type": "string", "format": "date"},
        "report": {
            "type": "object",
            "required": ["implementing_body", "authorizations", "operators", "totals"],
        },
    },
}

OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/api/v1/products", "products.list", "products", "List or search listed data products",
       {200: ("A page of products, with facet counts", Page[ProductSummary])}, query=(ProductFilters,),
       description="Public products are listed ones; status=publicity lists those in their notice period."),
    Op("POST", "/api/v1/products", "products.create", "products", "Create a draft product",
       {201: ("The new draft", ProductDetail),
        200: ("The draft made earlier with the same Idempotency-Key", ProductDetail)},
       access=WRITE, body=Body(ProductCreate, drop=LIFECYCLE_FIELDS),
       params=({"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
                "description": "the same key (first 100 characters) gives back the same draft"},),
       description="A draft of one of the caller's organizations (the provider)."),
    Op("GET", "/api/v1/products/{slug}", "products.detail", "products", "One data product",
       {200: ("The product", ProductDetail)}, errors=(404,)),
    Op("PATCH", "/api/v1/products/{slug}", "products.edit", "products", "Change a draft, or a new version",
       {200: ("The changed draft", ProductDetail),
        202: ("A listed product's new version, waiting for review", RevisionAnswer)},
       access=WRITE, errors=(404, 409),
       body=Body(ProductCreate, drop=(*LIFECYCLE_FIELDS, "slug", "provider"), partial="ProductChanges",
                 extra={"change_summary": {"type": "string", "description": "what changes (new versions)"}}),
       description="The fields to change; the whole product is validated again. A listed product is not "
       "changed yet: its new version waits for a reviewer."),
    Op("POST", "/api/v1/products/{slug}/sample", "products.sample", "products", "Attach a sample to a draft",
       {200: ("The inferred schema and the first rows", SamplePublic)},
       access=WRITE, body=Body(upload="sample"), errors=(404, 409),
       description="A CSV or XLSX file in the multipart field sample."),
    Op("GET", "/api/v1/products/{slug}/version", "products.version", "products",
       "A listed product's new version in the works",
       {200: ("The new version, or null", PendingRevision)}, errors=(404,)),
    Op("POST", "/api/v1/products/{slug}/version", "products.version_transition", "products",
       "Submit, approve, send back or reject a new version",
       {200: ("The new version in its new state", RevisionAnswer)},
       access=WRITE, body=Body(TransitionRequest), errors=(404, 409), description=TRANSITION),
    Op("POST", "/api/v1/products/{key}/transition", "products.transition", "listings",
       "Move a product along the listing lifecycle", {200: ("The new state", TransitionResult)},
       access=WRITE, body=Body(TransitionRequest), errors=(404, 409), description=TRANSITION),
    Op("POST", "/api/v1/datasets/{key}/transition", "datasets.transition", "listings",
       "Move a dataset along the listing lifecycle", {200: ("The new state", TransitionResult)},
       access=WRITE, body=Body(TransitionRequest), errors=(404, 409), description=TRANSITION),
    Op("GET", "/api/v1/products/{key}/objections", "products.objections", "listings",
       "Objections to a product", {200: ("All for owners and reviewers, the caller's own otherwise",
                                         ObjectionList)}, errors=(404,)),
    Op("POST", "/api/v1/products/{key}/objections", "products.object", "listings",
       "Object to a product in its publicity period", {201: ("The objection", ObjectionPublic)},
       access=WRITE, body=Body(ObjectionCreate), errors=(404, 409)),
    Op("GET", "/api/v1/datasets/{key}/objections", "datasets.objections", "listings",
       "Objections to a dataset", {200: ("All for owners and reviewers, the caller's own otherwise",
                                         ObjectionList)}, errors=(404,)),
    Op("POST", "/api/v1/datasets/{key}/objections", "datasets.object", "listings",
       "Object to a dataset in its publicity period", {201: ("The objection", ObjectionPublic)},
       access=WRITE, body=Body(ObjectionCreate), errors=(404, 409)),
    Op("POST", "/api/v1/objections/{objection_id:int}/answer", "objections.answer", "listings",
       "Answer an objection (reviewers)", {200: ("The answered objection", ObjectionPublic)},
       access=WRITE, body=Body(ObjectionAnswer), errors=(404, 409),
       description="Upholding it sends the listing back to its owner."),
    Op("GET", "/api/v1/datasets", "datasets.list", "datasets", "List or search listed datasets",
       {200: ("A page of datasets, with facet counts", Page[DatasetSummary])}, query=(DatasetFilters,)),
    Op("POST", "/api/v1/datasets", "datasets.create", "datasets", "Create a draft dataset",
       {201: ("The new draft", DatasetDetail)}, access=WRITE,
       body=Body(DatasetCreate, drop=LIFECYCLE_FIELDS)),
    Op("GET", "/api/v1/datasets/{code}", "datasets.detail", "datasets", "One dataset",
       {200: ("The dataset", DatasetDetail)}, errors=(404,)),
    Op("POST", "/api/v1/datasets/{code}/assessments", "datasets.assess", "datasets",
       "Record a quality assessment (reviewers)", {201: ("The assessment, graded", AssessmentPublic)},
       access=WRITE, body=Body(AssessmentCreate, drop=("dataset",)), errors=(404,),
       description="Scores out of 100 on GB/T 36344's six dimensions; the grade follows from them (A: a "
       "mean of 90+, none under 80; B: 80+, none under 70; C: 60+; D). A listed dataset whose latest "
       "assessment is A or B counts toward the high-quality datasets target."),
    Op("PATCH", "/api/v1/datasets/{code}", "datasets.edit", "datasets", "Change a draft dataset",
       {200: ("The changed draft", DatasetDetail)}, access=WRITE, errors=(404, 409),
       body=Body(DatasetCreate, drop=(*LIFECYCLE_FIELDS, "code", "provider"), partial="DatasetChanges")),
    Op("GET", "/api/v1/search", "search", "search", "Search both catalogs",
       {200: ("A page of each catalog", SearchResults)}, query=(ProductFilters, DatasetFilters),
       errors=(400,),
       params=({"name": "q", "in": "query", "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 5000}},),
       description="Takes the filters of both lists; each catalog uses those it has. 400 for a blank q."),
    Op("GET", "/api/v1/organizations", "organizations.list", "organizations", "List organizations",
       {200: ("A page of organizations", Page[OrganizationPublic])}, query=(PageParams,),
       params=({"name": "kind", "in": "query", "required": False, "allowEmptyValue": True,
                "schema": {"type": "string", "enum": [k.value for k in OrganizationKind]}},)),
    Op("GET", "/api/v1/organizations/{slug}", "organizations.detail", "organizations", "One organization",
       {200: ("The organization", OrganizationPublic)}, errors=(404,)),
    Op("GET", "/api/v1/licenses", "licences.list", "licences", "List licences",
       {200: ("Every licence, with its ODRL terms", Page[LicencePublic])}),
    Op("GET", "/api/v1/licenses/{code}", "licences.detail", "licences", "One licence",
       {200: ("The licence", LicencePublic)}, errors=(404,)),
    Op("GET", "/api/v1/authorizations", "authorizations.list", "authorizations", "List authorizations",
       {200: ("A page of authorizations, newest term first", Page[AuthorizationPublic])},
       query=(AuthorizationFilters,), errors=(422,),
       description="Who is authorized to operate which datasets, for what and until when (27号 art. 18). "
       "status is as of today in Beijing: an active authorization past its end is expired."),
    Op("GET", "/api/v1/authorizations/{code}", "authorizations.detail", "authorizations", "One authorization",
       {200: ("The authorization with its scope", AuthorizationPublic)}, errors=(404,)),
    Op("GET", "/api/v1/registrations/{code}", "registrations.detail", "registrations", "One registration",
       {200: ("Its facts, status, validity, acts and fingerprint, with the registered snapshot",
              RegistrationPublic)}, errors=(404,),
       description="fingerprint is the SHA-256 of the snapshot's canonical JSON (UTF-8, keys sorted, no "
       "spaces); fingerprint_ok says the stored snapshot still hashes to it, matches_current whether "
       "the item's metadata now is what was registered last."),
    Op("POST", "/api/v1/registrations/{code}/renewal", "registrations.renew", "registrations",
       "Renew a registration (the item's owners)", {200: ("The registration, three years longer",
                                                         RegistrationPublic)},
       access=WRITE, errors=(404, 409), description="Opens 60 days before the validity ends."),
    Op("POST", "/api/v1/registrations/{code}/corrections", "registrations.correct", "registrations",
       "Correct recorded facts without a new version (reviewers)",
       {200: ("The registration with its correction act", RegistrationPublic)},
       access=WRITE, body=Body(Correction), errors=(404, 409)),
    Op("GET", "/api/v1/disclosure/{year:int}", "disclosure", "stats", "A year's public disclosure",
       {200: ("The implementing body with its authorizations and caps, and each operator's resources, "
              "products with fees and requests", DISCLOSURE)},
       errors=(404, 422),
       description="published: frozen as an administrator published it (by the end of March of the next "
       "year); otherwise the catalog as it stands. 422 for a year before 2020 or after this one; 404 "
       "when the year is not a number."),
    Op("GET", "/api/v1/stats", "stats", "stats", "The catalog's figures",
       {200: ("Listed counts against the targets, by state and sector; the request funnel", CatalogStats)}),
    Op("GET", "/api/v1/requests", "requests.list", "requests", "The caller's access requests",
       {200: ("The newest 200", RequestList)}, access=SIGNED_IN, errors=(422,),
       params=({"name": "side", "in": "query", "required": False, "allowEmptyValue": True,
                "schema": {"type": "string", "enum": ["mine", "incoming"], "default": "mine"},
                "description": "mine: made by the caller's organizations; incoming: for their products"},
               {"name": "status", "in": "query", "required": False, "allowEmptyValue": True,
                "schema": {"type": "string"}})),
    Op("POST", "/api/v1/requests", "requests.create", "requests", "Request access to a listed product",
       {201: ("The submitted request", RequestPublic)}, access=WRITE, body=Body(RequestCreate), errors=(409,),
       description="409 duplicate while the organization has an open request for the product."),
    Op("GET", "/api/v1/requests/{id:int}", "requests.detail", "requests", "One access request",
       {200: ("The request with its events and messages", RequestPublic)}, errors=(404,),
       description="Only its two sides (and administrators) see it: 404 for anyone else."),
    Op("POST", "/api/v1/requests/{id:int}/delivery", "requests.delivery", "requests",
       "The delivery details of a delivered request", {200: ("The details", DeliveryDetails)},
       access=WRITE, errors=(403, 404, 422),
       description="For the requesting organization's members, as often as needed until the access delivered"
       " expires (403 after it, and to the provider); each time is audited. They are kept encrypted."),
    Op("POST", "/api/v1/requests/{id:int}/transition", "requests.transition", "requests",
       "Move an access request on", {200: ("The request in its new state", RequestPublic)},
       access=WRITE, body=Body(StepRequest), errors=(404, 409),
       description="409 invalid_transition lists the steps open to the caller."),
    Op("POST", "/api/v1/requests/{id:int}/messages", "requests.message", "requests", "Add a message",
       {201: ("The request with its thread", RequestPublic)}, access=WRITE, body=Body(MessageCreate),
       errors=(404,)),
    Op("POST", "/api/v1/follows", "follows.add", "requests", "Follow a product or a provider",
       {200: ("Followed", Following)}, access=WRITE, body=Body(FollowTarget), errors=(404,)),
    Op("DELETE", "/api/v1/follows", "follows.remove", "requests", "Stop following a product or a provider",
       {200: ("No longer followed", Following)}, access=WRITE, body=Body(FollowTarget), errors=(404,)),
    Op("GET", "/api/v1/me", "me", "accounts", "The caller's account",
       {200: ("Roles, organizations and tokens", AccountPublic)}, access=SIGNED_IN),
    Op("GET", "/api/v1/tokens", "tokens.list", "accounts", "The caller's API tokens",
       {200: ("Newest first", TokenList)}, access=SIGNED_IN),
    Op("POST", "/api/v1/tokens", "tokens.create", "accounts", "Create an API token",
       {201: ("The token, with its secret (shown once)", NewToken)}, access=WRITE, body=Body(TokenCreate),
       description="Signed in only: a token cannot create tokens (403)."),
    Op("DELETE", "/api/v1/tokens/{token_id:int}", "tokens.revoke", "accounts", "Revoke an API token",
       {200: ("Revoked", Revoked)}, access=SIGNED_IN, errors=(404,)),
    Op("GET", "/api/v1/audit", "audit", "audit", "The audit log (administrators)",
       {200: ("Events, newest first", Page[AuditEventPublic])}, access=SIGNED_IN, query=(AuditFilters,),
       errors=(403,)),
    Op("GET", "/api/v1/openapi.json", "openapi", "meta", "This document", {200: ("OpenAPI 3.1", OBJECT)}),
)  # fmt: skip

TAGS = {
    "products": "Data products (数据产品): the product catalog, drafts and new versions",
    "datasets": "Datasets (公共数据资源): the authorized-operation catalog",
    "listings": "The listing lifecycle: review, publicity (公示) and objections",
    "search": "Both catalogs at once",
    "organizations": "Departments, authorized operators and enterprises",
    "licences": "Licences and their ODRL terms",
    "authorizations": "Authorizations of public-data operation (授权运营): operators, scope and term",
    "registrations": "Registrations (登记) of products and datasets: codes, validity, fingerprints",
    "stats": "Figures against the city's targets",
    "requests": "Access requests and follows",
    "accounts": "The caller's account and API tokens",
    "audit": "The append-only audit log",
    "meta": "About the API",
}

# What validators check and the models' schemas do not say.
DECIMAL = r"^\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"  # a plain decimal string, as pydantic reads one
REFINEMENTS: dict[str, dict[str, dict[str, Any]]] = {
    "TokenCreate": {"scope": {"enum": ["read", "write"]}},
    "ProductCreate": {
        "price": {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": DECIMAL},
                {"type": "null"},
            ],
            "description": "at most 14 digits, 4 of them after the point",
        }
    },
    "RequestCreate": {"accept_license": {"const": True}},
    "Delivery": {"method": {"enum": list(DELIVERY_METHODS)}},
}


# --- building the document ----------------------------------------------------------------------
REF = "#/components/schemas/{model}"
PARAM = re.compile(r"{(\w+)(?::(\w+))?}")


def openapi_path(path: str) -> str:
    """A Starlette path as an OpenAPI path template: ``{id:int}`` -> ``{id}``."""
    return PARAM.sub(r"{\1}", path)


def error_statuses(op: Op) -> list[int]:
    """The error statuses of an operation: its own, and those every operation of its kind can give
    (401 for an unknown bearer token anywhere; body, CSRF and size checks on unsafe methods)."""
    found = {401, *op.errors}
    if op.query or op.body:
        found.add(422)
    if op.method != "GET":
        found |= {400, 403, 413}
    if op.access == WRITE:
        found.add(403)
    return sorted(found)


def _security(access: str) -> list[dict[str, list[str]]]:
    signed: list[dict[str, list[str]]] = [
        {"bearerAuth": ["write"] if access == WRITE else []},
        {"sessionCookie": []},
    ]
    return signed if access != PUBLIC else [{}, *signed]


def _path_parameters(path: str) -> list[dict[str, Any]]:
    out = []
    for name, convertor in PARAM.findall(path):
        schema = {"type": "integer", "minimum": 0} if convertor == "int" else {"type": "string"}
        text = PATH_PARAMETERS.get(name, "")
        out.append({"name": name, "in": "path", "required": True, "schema": schema, "description": text})
    return out


def _query_parameters(models: tuple[type[BaseModel], ...], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        for name, prop in schema["properties"].items():
            prop = {k: v for k, v in prop.items() if k != "title"}
            parameter = {"name": name, "in": "query", "required": False, "schema": prop}
            if prop.get("type") != "array":  # an empty value counts as left out, as query_model reads it
                parameter["allowEmptyValue"] = True
            out.setdefault(name, parameter)
    return list(out.values())


def _schema_of(source: Any, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    return refs[(source, "serialization")] if isinstance(source, type) else copy.deepcopy(source)


def _body(body: Body, refs: dict[Any, dict[str, Any]], schemas: dict[str, Any]) -> dict[str, Any]:
    if body.upload:
        upload = {"type": "string", "contentMediaType": "application/octet-stream"}
        form = {"type": "object", "required": [body.upload], "properties": {body.upload: upload}}
        return {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    assert body.model is not None
    name = refs[(body.model, "validation")]["$ref"].rsplit("/", 1)[1]
    schema = schemas[name]
    if body.partial:
        schema = schemas[body.partial] = copy.deepcopy(schema)
        schema.pop("required", None)
        schema["properties"].update(body.extra)
        schema["description"] = f"Any fields of {name}; the others keep their values."
    for key in body.drop:
        schema["properties"].pop(key, None)
        if key in schema.get("required", []):
            schema["required"].remove(key)
    ref = {"$ref": REF.format(model=body.partial or name)}
    return {"required": True, "content": {"application/json": {"schema": ref}}}


def _operation(op: Op, refs: dict[Any, dict[str, Any]], schemas: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (text, source) in sorted(op.answers.items()):
        responses[str(status)] = {
            "description": text,
            "content": {"application/json": {"schema": _schema_of(source, refs)}},
        }
    for status in error_statuses(op):
        responses[str(status)] = {"$ref": f"#/components/responses/Error{status}"}
    operation: dict[str, Any] = {
        "operationId": op.id,
        "tags": [op.tag],
        "summary": op.summary,
        "security": _security(op.access),
        "responses": responses,
    }
    if op.description:
        operation["description"] = op.description
    # a parameter of the table replaces a query model's of the same name
    named = {(p["in"], p["name"]): p for p in _query_parameters(op.query, schemas)}
    named.update({(p["in"], p["name"]): p for p in op.params})
    parameters = [*_path_parameters(op.path), *named.values()]
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = _body(op.body, refs, schemas)
    return operation


def _model_schemas() -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    """Every model of the table as a reference into ``components/schemas``, and those schemas."""
    wanted: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for op in OPERATIONS:
        wanted += [(s, "serialization") for _, s in op.answers.values() if isinstance(s, type)]
        if op.body is not None and op.body.model is not None:
            wanted.append((op.body.model, "validation"))
    wanted.append((FacetValue, "serialization"))
    refs, defs = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)
    schemas = defs.get("$defs", {})
    for name in [n for n in schemas if n.startswith("Page_")]:  # Page types facets loosely
        facets = schemas[name]["properties"]["facets"]
        facets["additionalProperties"] = {"type": "array", "items": {"$ref": REF.format(model="FacetValue")}}
        facets["description"] = "by filter name: its values with their counts"
    for name, fixes in REFINEMENTS.items():
        for prop, fix in fixes.items():
            schemas[name]["properties"][prop].update(fix)
    return dict(refs), schemas


def _names(node: Any) -> set[str]:
    """The component schemas ``node`` refers to, directly."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        found = {ref.rsplit("/", 1)[1]} if ref.startswith("#/components/schemas/") else set()
        return found.union(*(_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_names(v) for v in node))
    return set()


def _used(schemas: dict[str, Any], roots: Any) -> dict[str, Any]:
    """The schemas reachable from ``roots`` (the models' inputs the API drops leave some unused)."""
    todo, seen = _names(roots), set()
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= _names(schemas[name]) - seen
    return {name: schemas[name] for name in sorted(seen)}


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, built once per process."""
    refs, schemas = _model_schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.path), {})[op.method.lower()] = _operation(op, refs, schemas)
    schemas["Error"] = ERROR_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Huai'an Data Port catalog API",
            "version": __version__,
            "summary": "The catalog of data products and authorized-operation datasets (淮安市数据港).",
            "description": "Reads are public; writes take an API token with the write scope "
            "(Authorization: Bearer hdp_…). Every GET also answers HEAD. A query parameter that takes one "
            "value uses the last one when it is given more than once. Errors are "
            '{"error": {"code", "message", "fields"?, "allowed"?, "existing"?}}.',
        },
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": _used(schemas, [paths, {"$ref": REF.format(model="Error")}]),
            "responses": {
                f"Error{status}": {
                    "description": text,
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
                }
                for status, text in ERRORS.items()
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (hdp_…) made on /account or with `catalog token create`; "
                    "writes need one with the write scope.",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "A signed-in browser's session. Its unsafe requests (POST, PATCH, "
                    "DELETE) also send the csrftoken cookie's token as the X-CSRFToken header, or are "
                    "refused (403 csrf_failed); bearer-token requests need none.",
                },
            },
        },
    }


@functools.cache
def _document_json() -> bytes:
    return json.dumps(document(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- the reference page -------------------------------------------------------------------------
Tokens = list[tuple[str, str]]  # a type as text pieces, each with the anchor of its schema or ""
CONSTRAINTS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "pattern", "format")


def type_tokens(schema: dict[str, Any]) -> Tokens:
    """A schema's type in a short notation: ``string | null``, ``array<ProductSummary>``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return [(name, f"schema-{name}")]
    if "const" in schema:
        return [(json.dumps(schema["const"]), "")]
    if "enum" in schema:
        return [(" | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"]), "")]
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        out: Tokens = []
        for i, branch in enumerate(branches):
            out += ([(" | ", "")] if i else []) + type_tokens(branch)
        return out
    kind = schema.get("type", "any")
    if kind == "array":
        return [("array<", ""), *type_tokens(schema.get("items", {})), (">", "")]
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return [("object<string, ", ""), *type_tokens(schema["additionalProperties"]), (">", "")]
    if schema.get("contentMediaType"):
        return [("binary file", "")]
    return [(" | ".join(kind) if isinstance(kind, list) else kind, "")]


def constraints(schema: dict[str, Any]) -> str:
    """A schema's limits and default, e.g. ``minLength: 3 · default: 20`` (of nullable branches too)."""
    parts = [schema, *schema.get("anyOf", [])]
    found = [f"{key}: {part[key]}" for part in parts for key in CONSTRAINTS if key in part]
    if "default" in schema and schema["default"] not in (None, "", [], {}):
        found.append(f"default: {json.dumps(schema['default'], ensure_ascii=False)}")
    return " · ".join(found)


def _rows(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_tokens(prop),
            "required": name in required,
            "limits": constraints(prop),
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation_view(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, dict[str, Any]] = operation.get("requestBody", {}).get("content", {})
    media, content = next(iter(body.items()), ("", {}))
    responses = []
    for status, answer in operation["responses"].items():
        if "$ref" in answer:
            answer = document()["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        schema = answer["content"]["application/json"]["schema"]
        responses.append(
            {"status": status, "description": answer["description"], "type": type_tokens(schema)}
        )
    return {
        "id": operation["operationId"],
        "anchor": "op-" + operation["operationId"].replace(".", "-"),
        "method": method.upper(),
        "path": path,
        "summary": operation["summary"],
        "description": operation.get("description", ""),
        "access": next((a for a in (WRITE, SIGNED_IN) if operation["security"] == _security(a)), PUBLIC),
        "parameters": [
            {
                "name": p["name"],
                "location": p["in"],
                "type": type_tokens(p["schema"]),
                "required": p.get("required", False),
                "limits": constraints(p["schema"]),
                "description": p.get("description", ""),
            }
            for p in operation.get("parameters", [])
        ],
        "body": {
            "media": media,
            "type": type_tokens(content["schema"]),
            "fields": [] if "$ref" in content["schema"] else _rows(content["schema"]),
        }
        if media
        else None,
        "responses": responses,
    }


@functools.cache
def reference() -> dict[str, Any]:
    """The document arranged for the reference page: operations by tag, then every schema."""
    doc = document()
    by_tag: dict[str, list[dict[str, Any]]] = {name: [] for name in TAGS}
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            by_tag[operation["tags"][0]].append(_operation_view(path, method, operation))
    return {
        "title": doc["info"]["title"],
        "version": doc["info"]["version"],
        "tags": [{"name": name, "operations": ops} for name, ops in by_tag.items() if ops],
        "schemas": [
            {
                "name": name,
                "anchor": f"schema-{name}",
                "description": schema.get("description", ""),
                "type": type_tokens({k: v for k, v in schema.items() if k != "title"}),
                "fields": _rows(schema),
            }
            for name, schema in doc["components"]["schemas"].items()
        ],
        "errors": ERRORS,
    }


async def openapi_json(request: Request) -> Response:
    return Response(_document_json(), media_type="application/json")


async def reference_page(request: Request) -> Response:
    """The API reference for people, from the same document (no script, nothing from elsewhere)."""
    return render(request, "api/reference.html", {"api": reference()})


routes: list[BaseRoute] = [
    Route("/api/v1/openapi.json", openapi_json, name="api.openapi"),
    Route("/api", reference_page, name="api.reference"),
]
