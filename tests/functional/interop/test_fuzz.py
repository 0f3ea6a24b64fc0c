"""Fuzzing the JSON API with schemathesis against its own OpenAPI document (/api/v1/openapi.json).

For every documented operation, schemathesis generates requests that fit the document (positive) and
requests that break it (negative), sends them to the real application (ASGI, in process) and checks each
answer: never a 5xx, a documented status code, the documented content type, a body that validates
against the schema documented for that status; invalid input is refused with a 4xx; an operation that
needs a token, when it succeeds, refuses the same request without one.

Writes go through: every request carries a write token of an owner of one organization, on a private
copy of the seeded catalog, and path parameters and reference fields (provider, licence, sectors, the
product asked for, the state to move to) are drawn half the time from the catalog's real values, so that
the fuzzer gets past 404 and 422 into the services.

Bounded and deterministic, so that CI is stable: a fixed seed, Hypothesis derandomized and without its
example database, ``EXAMPLES`` (10) examples per operation and mode, about 20 s in all.
``FUZZ_SEED=<n> FUZZ_EXAMPLES=100`` runs other, more cases by hand (every failure found that way so far
was fixed in the API or the document, and such runs are green).

schemathesis's own pytest integration for fixtures (``schemathesis.pytest.from_fixture``) reads
``Function._nodeid``, which pytest 9.2 no longer has; so each operation is a parametrized test that runs
the operation's Hypothesis strategy itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlmodel import Session, select

from catalog import db
from catalog.accounts.models import Organization
from catalog.app import create_app
from catalog.datasets.models import Dataset
from catalog.interop.openapi import document
from catalog.licences.models import Licence
from catalog.listings.services import ObjectionCreate, file_objection
from catalog.listings.states import ListingStatus
from catalog.products.models import DataProduct
from catalog.requests.workflow import STATE_LABELS
from catalog.sectors.models import Sector
from tests.conftest import copy_data_dir, make_settings
from tests.factories import BUYER, PLAIN, actor, bearer, make_request, make_user, organization

# per operation and mode; FUZZ_EXAMPLES=500 FUZZ_SEED=<n> explore further, away from CI's fixed cases
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
EXPLORE_SEED = os.environ.get("FUZZ_SEED")
SEED = 2027
OWNER_ORG = "ybbz"  # an operator with products in every state of the seed


def _query_as_sent_is_valid(case: schemathesis.Case, response: schemathesis.Response) -> bool:
    """Whether the query string that went out, read as the API reads it, fits the document."""
    sent = parse_qs(urlsplit(response.request.url or "").query, keep_blank_values=True)
    operation = document()["paths"][case.operation.path][case.method.lower()]
    for parameter in operation.get("parameters", []):
        values = sent.get(parameter["name"]) if parameter["in"] == "query" else []
        if not values:
            if parameter.get("required") and parameter["in"] == "query":
                return False
            continue
        schema = parameter["schema"]
        value: Any = values if schema.get("type") == "array" else values[-1]  # the last one counts
        if value == "" and parameter.get("allowEmptyValue"):
            continue
        if schema.get("type") in ("integer", "number"):  # 4.0 is an integer to JSON Schema
            try:
                value = float(value)
            except ValueError:
                return False
            value = int(value) if value.is_integer() else value
        if not Draft202012Validator(schema).is_valid(value):
            return False
    return True


def negative_data_rejection_as_sent(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """schemathesis's ``negative_data_rejection``, less one false alarm: a query it broke (an object or a
    null for a single value, two broken parameters at once) that reads as a valid one once serialized."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        meta = case.meta
        negated = [place for place in ParameterLocation if meta and meta.is_negative_at(place)]
        if negated == [ParameterLocation.QUERY] and _query_as_sent_is_valid(case, response):
            return None
        raise


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection_as_sent]


def _can_be_invalid(operation: dict[str, Any]) -> bool:
    """Whether anything an operation takes can be made invalid (any string is a valid plain string)."""
    parameters = operation.get("parameters", [])
    return "requestBody" in operation or any(p["schema"] != {"type": "string"} for p in parameters)


CASES = [
    pytest.param(f"{method.upper()} {path}", mode, id=f"{method.upper()} {path} {mode}")
    for path, methods in document()["paths"].items()
    for method, operation in methods.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _can_be_invalid(operation)
]
REVOKE = "DELETE /api/v1/tokens/{token_id}"


@dataclass
class FuzzedApi:
    schema: Any  # schemathesis's OpenApiSchema
    headers: dict[str, str]  # the owner's write token
    throwaway: dict[str, str]  # a token of another account, for the operation that revokes tokens


def _people(engine: Engine) -> tuple[dict[str, str], dict[str, str]]:
    """The owner's token, a throwaway token, and something for the owner to answer: an access request
    for one of its listed products and an objection to one of its products in publicity."""
    owner_org = organization(engine, OWNER_ORG)
    make_user(engine, "fuzz-owner@ybbz.cn", organization_code=owner_org.code, role="owner")
    owner, throwaway = bearer(engine, "fuzz-owner@ybbz.cn"), bearer(engine, PLAIN)
    with Session(engine) as session:
        products = session.exec(select(DataProduct).where(DataProduct.provider_id == owner_org.id)).all()
        listed = next(p for p in products if p.status == ListingStatus.LISTED)
        in_publicity = next(p for p in products if p.status == ListingStatus.PUBLICITY)
    make_request(engine, BUYER, listed.slug, purpose="冷链企业选址分析", scenario="门店与仓储选址评估")
    with db.session_scope(engine) as session:
        objection = ObjectionCreate(reason="数据覆盖范围描述与实际不符")
        file_objection(session, actor(session, BUYER), "product", in_publicity.slug, objection)
    return owner, throwaway


def _real_values(engine: Engine) -> dict[str, list[str | int]]:
    """Real ids and codes of the catalog, by kind."""
    with Session(engine) as session:
        products = session.exec(select(DataProduct.slug, DataProduct.provider_id)).all()
        owner_id = session.exec(select(Organization.id).where(Organization.slug == OWNER_ORG)).one()
        return {
            "products": sorted({s for s, p in products if p == owner_id} | {s for s, _ in products[:20]}),
            "datasets": sorted(session.exec(select(Dataset.code)).all())[:20],
            "organizations": sorted(session.exec(select(Organization.slug)).all()),
            "licences": sorted(session.exec(select(Licence.code)).all()),
            "sectors": sorted(session.exec(select(Sector.slug)).all()),
            "states": sorted({*ListingStatus, *STATE_LABELS}),
            "numbers": [1, 2, 3],
            "ours": [OWNER_ORG],
            "listable": ["general", "important"],  # core data is never listed
            "unpriced": ["free", "negotiated"],
            "zero": [0],
        }


def _config(values: dict[str, list[str | int]]) -> schemathesis.Config:
    half = 0.5

    def draw(kind: str) -> dict[str, Any]:
        return {"dictionary": kind, "probability": half}

    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # the token is ours to send: a generated Authorization header would be replaced by it anyway
            "generation": {"with-security-parameters": False},
            "dictionaries": {kind: {"values": found} for kind, found in values.items()},
            "parameters": {
                "path.slug": draw("products"),
                "path.key": draw("products"),
                "path.code": draw("datasets"),
                "path.id": draw("numbers"),
                "path.objection_id": draw("numbers"),
                "path.token_id": draw("numbers"),
                "body.provider": draw("ours"),
                "body.security_grade": draw("listable"),
                "body.price_model": draw("unpriced"),
                "body.price": draw("zero"),
                "body.license": draw("licences"),
                "body.sectors[*]": draw("sectors"),
                "body.source_datasets[*]": draw("datasets"),
                "body.product_id": draw("products"),
                "body.product": draw("products"),
                "body.to": draw("states"),
                "query.sector": draw("sectors"),
                "query.provider": draw("organizations"),
                "query.license": draw("licences"),
            },
        }
    )


@pytest.fixture(scope="module")
def fuzzed(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[FuzzedApi]:
    """The application over a private copy of the seeded catalog, and its document loaded by schemathesis."""
    data_dir = copy_data_dir(seeded_template, tmp_path_factory.mktemp("fuzz") / "var", request)
    catalog = make_settings(data_dir)
    engine = db.make_engine(catalog.database_url)
    owner, throwaway = _people(engine)
    config = _config(_real_values(engine))
    engine.dispose()
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(catalog), config=config)
    yield FuzzedApi(schema, owner, throwaway)
    asgi.shutdown_lifespans()  # the application's, which schemathesis started


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_api_answers_as_documented(fuzzed: FuzzedApi, label: str, mode: GenerationMode) -> None:
    operation = fuzzed.schema.find_operation_by_label(label)
    headers = fuzzed.throwaway if label == REVOKE else fuzzed.headers
    checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(
        max_examples=EXAMPLES,
        derandomize=EXPLORE_SEED is None,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @seed(int(EXPLORE_SEED or 0))
    @given(case=operation.as_strategy(mode))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=dict(headers), checks=checks)  # a copy: failure reports mask it

    run()
