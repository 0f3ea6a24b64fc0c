"""Frictionless data packages of products: downloaded over HTTP with their sample, as a user would, and
checked with frictionless itself (the Python API and the ``frictionless validate`` command)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import frictionless
import pytest
from starlette.testclient import TestClient

from catalog import db
from catalog.listings.workflow import CHECKLIST
from catalog.settings import Settings
from tests.conftest import make_settings
from tests.factories import OWNER, REVIEWER, bearer, make_product

SLUG = "bus-stops-sample"
CSV = (
    "站点编号,日期,客流人次,平均候车分钟,是否枢纽,站点编号\n"  # a repeated column name, too
    "S001,2026/10/1,3120,4.5,是,A\n"
    "S002,2026-10-01,877,6.25,否,B\n"
    "S003,2026-10-02,,5,否\n"  # a short row
)


@pytest.fixture(autouse=True)
def csv_field_limit() -> Iterator[None]:
    """frictionless raises the process-wide limit of the csv module when it first reads a CSV; put it
    back, for the catalog's own readers refuse oversized cells by that limit."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


def download(client: TestClient, slug: str, into: Path, headers: dict[str, str] | None = None) -> Path:
    """``datapackage.json`` and the files its resources name, saved side by side."""
    answer = client.get(f"/products/{slug}/datapackage.json", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    into.mkdir(parents=True, exist_ok=True)
    (into / "datapackage.json").write_bytes(answer.content)
    for resource in answer.json()["resources"]:
        if "path" in resource:
            data = client.get(f"/products/{slug}/{resource['path']}", headers=headers)
            assert data.status_code == 200
            (into / resource["path"]).write_bytes(data.content)
    return into / "datapackage.json"


def validate(descriptor: Path) -> frictionless.Report:
    return frictionless.validate(str(descriptor))


def validate_command(descriptor: Path) -> subprocess.CompletedProcess[str]:
    command = shutil.which("frictionless") or str(Path(sys.executable).parent / "frictionless")
    return subprocess.run(
        [command, "validate", descriptor.name],
        cwd=descriptor.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rewrite(descriptor: Path, change: Any) -> None:
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    change(package)
    descriptor.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")


def first_listed(client: TestClient, **params: str) -> dict[str, Any]:
    items = client.get("/api/v1/products", params={"per_page": "100", **params}).json()["items"]
    return client.get(f"/api/v1/products/{items[0]['id']}").json()


# --- seeded products -------------------------------------------------------------------------------
def test_an_api_products_fields_make_a_valid_schema_only_package(client: TestClient, tmp_path: Path) -> None:
    product = first_listed(client, type="api")
    descriptor = download(client, product["id"], tmp_path)
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    assert package["name"] == product["id"] and package["title"] == product["title"]
    assert package["licenses"][0]["name"] == product["license"]["code"]
    assert package["licenses"][0]["path"].startswith("http") and package["licenses"][0]["title"]
    resources = {r["name"]: r for r in package["resources"]}
    output = resources["api-output"]
    assert output["data"] == [[f["name"] for f in product["output_fields"]]]  # a header, no rows
    assert [f["name"] for f in output["schema"]["fields"]] == output["data"][0]
    report = validate(descriptor)
    assert report.valid, report.flatten(["type", "message"])


def test_a_product_with_neither_fields_nor_sample_has_no_package(client: TestClient) -> None:
    items = client.get("/api/v1/products", params={"type": "report", "per_page": 100}).json()["items"]
    bare = next(
        p["id"]
        for p in items
        if not (detail := client.get(f"/api/v1/products/{p['id']}").json())["schema_fields"]
        and not detail["output_fields"]
    )
    assert client.get(f"/products/{bare}/datapackage.json").status_code == 404
    assert client.get(f"/products/{bare}/sample.csv").status_code == 404


# --- a product with a sample, listed through the lifecycle ------------------------------------------
@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_PUBLICITY_DAYS="0")


@pytest.fixture
def people(app_settings: Settings, web: TestClient) -> Iterator[dict[str, dict[str, str]]]:
    """An owner with a draft (``bus-stops-sample``, from a seeded product, with the CSV sample), and a
    reviewer."""
    engine = db.make_engine(app_settings.database_url)
    make_product(engine, OWNER, SLUG, schema=[])
    owner, reviewer = bearer(engine, OWNER), bearer(engine, REVIEWER)
    engine.dispose()
    sample = {"sample": ("stops.csv", CSV.encode())}
    assert web.post(f"/api/v1/products/{SLUG}/sample", files=sample, headers=owner).status_code == 200
    yield {"owner": owner, "reviewer": reviewer}


def list_it(web: TestClient, people: dict[str, dict[str, str]]) -> None:
    for who, to, extra in (
        ("owner", "submitted", {}),
        ("reviewer", "in_review", {}),
        ("reviewer", "publicity", {"checklist": dict.fromkeys(CHECKLIST, True)}),
    ):
        moved = web.post(f"/api/v1/products/{SLUG}/transition", json={"to": to, **extra}, headers=people[who])
        assert moved.status_code == 200, moved.text
    assert web.get(f"/api/v1/products/{SLUG}").json()["status"] == "listed"


@pytest.mark.both_backends
def test_a_listed_products_package_and_sample_pass_frictionless(
    web: TestClient, people: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    list_it(web, people)
    descriptor = download(web, SLUG, tmp_path)
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    sample = package["resources"][0]
    assert sample["path"] == "sample.csv" and sample["format"] == "csv" and sample["encoding"] == "utf-8"
    assert [(f["name"], f["type"]) for f in sample["schema"]["fields"]] == [
        ("站点编号", "string"),
        ("日期", "date"),
        ("客流人次", "integer"),
        ("平均候车分钟", "number"),
        ("是否枢纽", "boolean"),
        ("站点编号_2", "string"),
    ]
    csv_text = (tmp_path / "sample.csv").read_text(encoding="utf-8")
    assert csv_text.splitlines()[0] == "站点编号,日期,客流人次,平均候车分钟,是否枢纽,站点编号_2"
    assert csv_text.splitlines()[3] == "S003,2026-10-02,,5,否,"  # the short row made whole

    report = validate(descriptor)
    assert report.valid, report.flatten(["type", "message"])
    assert report.stats["tasks"] == 1 and report.tasks[0].stats["rows"] == 3
    command = validate_command(descriptor)
    assert command.returncode == 0, command.stdout + command.stderr


def test_a_wrong_schema_makes_the_package_invalid(
    web: TestClient, people: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    list_it(web, people)
    descriptor = download(web, SLUG, tmp_path)

    def station_codes_as_integers(package: dict[str, Any]) -> None:
        package["resources"][0]["schema"]["fields"][0]["type"] = "integer"

    rewrite(descriptor, station_codes_as_integers)
    report = validate(descriptor)
    assert not report.valid
    assert {"type-error"} == {kind for (kind,) in report.flatten(["type"])}
    assert validate_command(descriptor).returncode != 0


def test_the_owners_schema_describes_the_sample_where_its_cells_fit(
    web: TestClient, people: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    schema = [
        {"name": "站点编号", "type": "integer", "description": "公交站点编号"},  # the cells say otherwise
        {"name": "客流人次", "type": "number", "description": "当日上车人次", "unit": "人次"},
    ]
    assert (
        web.patch(f"/api/v1/products/{SLUG}", json={"schema": schema}, headers=people["owner"]).status_code
        == 200
    )
    descriptor = download(web, SLUG, tmp_path, headers=people["owner"])  # a draft: its owner's to see
    fields = json.loads(descriptor.read_text(encoding="utf-8"))["resources"][0]["schema"]["fields"]
    assert fields[0] == {"name": "站点编号", "type": "string", "description": "公交站点编号"}
    assert fields[2] == {"name": "客流人次", "type": "number", "description": "当日上车人次 (人次)"}
    assert validate(descriptor).valid


def test_a_drafts_package_and_sample_are_its_owners_only(
    web: TestClient, people: dict[str, dict[str, str]]
) -> None:
    for path in ("datapackage.json", "sample.csv"):
        assert web.get(f"/products/{SLUG}/{path}").status_code == 404
        assert web.get(f"/products/{SLUG}/{path}", headers=people["owner"]).status_code == 200
    sample = web.get(f"/products/{SLUG}/sample.csv", headers=people["owner"])
    assert sample.headers["content-type"] == "text/csv; charset=utf-8"
