"""The OpenAPI document is valid, complete and honest: every /api/v1 route is in it, and real answers
validate against the schemas it gives for their status; the reference page shows all of it."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from catalog.interop.openapi import openapi_path
from catalog.products import services as products
from tests.factories import ADMIN, BUYER, OWNER, bearer, listed_product


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()


def routes_and_methods(routes: Iterable[BaseRoute]) -> set[tuple[str, str]]:
    """The app's /api/v1 routes as (OpenAPI path, method); HEAD comes with every GET."""
    found = set()
    for route in routes:
        path = getattr(route, "path", "")
        if not path.startswith("/api/v1"):
            continue
        assert isinstance(route, Route), f"{path}: only plain routes can be described"
        found |= {(openapi_path(path), m.lower()) for m in route.methods or () if m != "HEAD"}
    return found


def undocumented(routes: Iterable[BaseRoute], spec: dict[str, Any]) -> set[tuple[str, str]]:
    documented = {(path, method) for path, methods in spec["paths"].items() for method in methods}
    return routes_and_methods(routes) - documented


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_api_route_and_method_is_documented_and_nothing_else(
    client: TestClient, spec: dict[str, Any]
) -> None:
    app: Starlette = client.app  # type: ignore[assignment]
    documented = {(path, method) for path, methods in spec["paths"].items() for method in methods}
    assert routes_and_methods(app.routes) == documented


def test_a_new_route_without_a_description_is_caught(client: TestClient, spec: dict[str, Any]) -> None:
    async def endpoint(request: object) -> Response:
        return Response()

    app: Starlette = client.app  # type: ignore[assignment]
    added = [
        *app.routes,
        Route("/api/v1/widgets/{id:int}", endpoint, methods=["GET", "PUT"]),
        Route("/api/v1/products", endpoint, methods=["PUT"]),
    ]
    assert undocumented(added, spec) == {
        ("/api/v1/widgets/{id}", "get"),
        ("/api/v1/widgets/{id}", "put"),
        ("/api/v1/products", "put"),
    }
    with pytest.raises(AssertionError):
        routes_and_methods([Mount("/api/v1/more", routes=[])])


def test_operations_have_unique_ids_and_document_no_server_errors(spec: dict[str, Any]) -> None:
    operations = [op for methods in spec["paths"].values() for op in methods.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(not status.startswith("5") for op in operations for status in op["responses"])


def test_writes_need_a_write_token_and_name_the_idempotency_key(spec: dict[str, Any]) -> None:
    create = spec["paths"]["/api/v1/products"]["post"]
    assert {"bearerAuth": ["write"]} in create["security"] and {} not in create["security"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    upload = spec["paths"]["/api/v1/products/{slug}/sample"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["required"] == ["sample"]
    assert {} in spec["paths"]["/api/v1/products"]["get"]["security"]  # reads are public


def template_of(spec: dict[str, Any], url: str) -> str:
    """The documented path a URL is on: the one matching it with the fewest parameters."""
    path = url.split("?", 1)[0]
    found = [t for t in spec["paths"] if re.fullmatch(re.sub(r"{\w+}", "[^/]+", t), path)]
    assert found, f"{path} is on no documented path"
    return min(found, key=lambda t: t.count("{"))


def check(spec: dict[str, Any], method: str, url: str, response: Any) -> None:
    """The answer validates against the schema documented for its path, method and status."""
    path = template_of(spec, url)
    responses = spec["paths"][path][method.lower()]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path} answered {status}, which is not documented"
    answer = responses[status]
    if "$ref" in answer:
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    schema = {**answer["content"]["application/json"]["schema"], "components": spec["components"]}
    validator = OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())]
    assert not errors, f"{method} {path} ({status}): {errors[:5]}"


@pytest.fixture(scope="module")
def ids(client: TestClient) -> dict[str, str]:
    """Real ids from the seeded catalog."""
    return {
        "product": client.get("/api/v1/products").json()["items"][0]["id"],
        "dataset": client.get("/api/v1/datasets").json()["items"][0]["id"],
        "organization": client.get("/api/v1/organizations").json()["items"][0]["id"],
        "licence": client.get("/api/v1/licenses").json()["items"][0]["code"],
    }


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/products?sector=transport&sort=newest", 200),
        ("/api/v1/products/{product}", 200),
        ("/api/v1/products/{product}/version", 200),
        ("/api/v1/products/{product}/objections", 200),
        ("/api/v1/datasets?status=publicity", 200),
        ("/api/v1/datasets/{dataset}", 200),
        ("/api/v1/organizations?kind=operator&per_page=5", 200),
        ("/api/v1/organizations/{organization}", 200),
        ("/api/v1/licenses", 200),
        ("/api/v1/licenses/{licence}", 200),
        ("/api/v1/search?q=交通", 200),
        ("/api/v1/stats", 200),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/products/no-such-product", 404),
        ("/api/v1/requests/999999", 404),
        ("/api/v1/products?per_page=1000", 422),
        ("/api/v1/organizations?kind=club", 422),
        ("/api/v1/search?q=%20", 400),
        ("/api/v1/me", 401),
        ("/api/v1/audit", 401),
    ],
)
def test_public_answers_match_their_documented_schema(
    client: TestClient, spec: dict[str, Any], ids: dict[str, str], url: str, status: int
) -> None:
    response = client.get(url.format(**ids))
    assert response.status_code == status
    check(spec, "GET", url, response)


def test_refused_writes_match_their_documented_schema(client: TestClient, spec: dict[str, Any]) -> None:
    anonymous = client.post("/api/v1/products", json={})
    assert anonymous.status_code == 401
    check(spec, "POST", "/api/v1/products", anonymous)
    unknown_token = client.get("/api/v1/stats", headers={"Authorization": "Bearer hdp_made-up"})
    assert unknown_token.status_code == 401
    check(spec, "GET", "/api/v1/stats", unknown_token)


# --- answers to signed-in callers, on a private copy of the catalog ------------------------------
def test_signed_in_answers_match_their_documented_schema(
    web: TestClient, seeded_engine: Engine, spec: dict[str, Any]
) -> None:
    with Session(seeded_engine) as session:
        model = listed_product(session)
        body = products.product_input(session, model)
    owner, buyer, admin = (
        bearer(seeded_engine, OWNER),
        bearer(seeded_engine, BUYER),
        bearer(seeded_engine, ADMIN),
    )
    draft, listed = "/api/v1/products/huaian-openapi-sample", f"/api/v1/products/{model.slug}"
    body.update(slug="huaian-openapi-sample", title="淮安接口样例指数", title_en="Huai'an API sample")
    sample = {"sample": ("sample.csv", "区县,指数\n清江浦区,101.5\n淮阴区,99.0\n".encode(), "text/csv")}
    ask = {
        "product_id": model.slug,
        "purpose": "冷链企业选址分析",
        "scenario": "门店与仓储选址评估",
        "term_months": 12,
        "contact": "张三 13800000000",
        "accept_license": True,
    }

    def answer(method: str, url: str, status: int, who: dict[str, str], **kw: Any) -> Any:
        response = web.request(method, url, headers=who, **kw)
        assert response.status_code == status, (method, url, response.text)
        check(spec, method, url, response)
        return response.json()

    keyed = {**owner, "Idempotency-Key": "k-1"}
    answer("POST", "/api/v1/products", 201, keyed, json=body)
    answer("POST", "/api/v1/products", 200, keyed, json=body)
    answer("POST", "/api/v1/products", 400, owner, content=b"{not json")
    answer("PATCH", draft, 200, owner, json={"summary": "按日更新的接口样例指数"})
    answer("PATCH", draft, 422, owner, json={"summary": ""})
    answer("POST", f"{draft}/sample", 200, owner, files=sample)
    answer("POST", f"{draft}/transition", 200, owner, json={"to": "submitted"})
    answer("POST", f"{draft}/transition", 409, owner, json={"to": "listed"})
    answer("POST", "/api/v1/datasets/NOPE/transition", 404, owner, json={"to": "submitted"})
    answer("POST", f"{listed}/objections", 409, buyer, json={"reason": "数据覆盖范围描述与实际不符"})
    answer("PATCH", listed, 202, owner, json={"summary": "新版本的摘要说明", "change_summary": "更新摘要"})
    answer("GET", f"{listed}/version", 200, owner)
    answer("POST", f"{listed}/version", 200, owner, json={"to": "submitted"})

    one = "/api/v1/requests/{}".format(answer("POST", "/api/v1/requests", 201, buyer, json=ask)["id"])
    answer("POST", "/api/v1/requests", 409, buyer, json=ask)
    answer("GET", one, 200, buyer)
    answer("POST", f"{one}/messages", 201, buyer, json={"body": "请尽快处理"})
    answer("POST", f"{one}/transition", 200, owner, json={"to": "under_review"})
    answer("GET", "/api/v1/requests?side=incoming", 200, owner)
    answer("POST", "/api/v1/follows", 200, buyer, json={"product": model.slug})
    answer("DELETE", "/api/v1/follows", 200, buyer, json={"product": model.slug})

    answer("GET", "/api/v1/me", 200, owner)
    tokens = answer("GET", "/api/v1/tokens", 200, owner)
    answer("POST", "/api/v1/tokens", 403, owner, json={"name": "more"})  # a token makes no tokens
    answer("DELETE", "/api/v1/tokens/{}".format(tokens["items"][0]["id"]), 200, admin)
    answer("GET", "/api/v1/audit?action=product.", 200, admin)
    answer("GET", "/api/v1/audit", 403, buyer)


# --- the reference page -------------------------------------------------------------------------
def test_the_reference_page_lists_every_operation(client: TestClient, spec: dict[str, Any]) -> None:
    response = client.get("/api")
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert re.search(r'<html lang="zh-Hans"', response.text)
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert f"{method.upper()} {path}" in page, path
            assert f'id="op-{operation["operationId"].replace(".", "-")}"' in response.text
    assert all(f'id="schema-{name}"' in response.text for name in spec["components"]["schemas"])
    # served offline: nothing is loaded from another origin
    assert not re.search(r'(src|href)="(https?:)?//', response.text)


def test_the_reference_page_is_accessible_in_english_too(client: TestClient) -> None:
    # a client of its own: the language choice is kept in a cookie, which the shared client would keep
    text = TestClient(client.app).get("/api", params={"lang": "en"}).text
    assert '<html lang="en"' in text
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", text.split('<main id="main"', 1)[1])]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))
    assert '<th scope="col">' in text and '<pre class="table-scroll" tabindex="0">' in text
