"""JSON nested thousands deep, sent to every door that reads JSON, answers 400 in that door's own error
shape, never 500 (issue 18, point 4)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from catalog import db
from catalog.settings import Settings
from tests.factories import BUYER, OWNER, bearer

DEEP = b"[" * 100_000 + b"]" * 100_000
MODERATE = b'{"purpose": ' + b"[" * 200 + b"]" * 200 + b"}"  # json reads it; the limit refuses it


@pytest.fixture
def tokens(app_settings: Settings) -> dict[str, dict[str, str]]:
    engine = db.make_engine(app_settings.database_url)
    try:
        return {"buyer": bearer(engine, BUYER), "owner": bearer(engine, OWNER)}
    finally:
        engine.dispose()


@pytest.mark.parametrize("body", [DEEP, MODERATE], ids=["100000 deep", "200 deep"])
def test_the_json_api_answers_bad_request(
    web: TestClient, tokens: dict[str, dict[str, str]], body: bytes
) -> None:
    for path, who in (("/api/v1/requests", "buyer"), ("/api/v1/products", "owner")):
        answer = web.post(path, content=body, headers={**tokens[who], "content-type": "application/json"})
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("body", [DEEP, MODERATE], ids=["100000 deep", "200 deep"])
def test_anonymous_ckan_and_dataspace_callers_get_their_protocols_errors(
    web: TestClient, body: bytes
) -> None:
    ckan = web.post(
        "/api/3/action/package_search", content=body, headers={"content-type": "application/json"}
    )
    assert ckan.status_code == 400 and "nested more than" in ckan.json(), ckan.text  # CKAN's: a JSON string
    dsp = web.post("/dsp/catalog/request", content=body, headers={"content-type": "application/json"})
    assert dsp.status_code == 400 and dsp.json()["@type"] == "CatalogError", dsp.text
