"""Sample files: a CSV (UTF-8 or GBK) or XLSX upload gives the draft its field schema and the
product page its preview; anything else is refused with a message, and nothing is kept."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from catalog import db, sheets
from catalog.products.samples import expands_too_much, infer_type
from catalog.settings import Settings
from tests.conftest import make_settings
from tests.factories import OWNER, bearer, make_product
from tests.factories import actor as account
from tests.workbooks import workbook

CSV = (
    "站点编号,日期,客流人次,平均候车分钟,是否枢纽\nS001,2026-10-01,3120,4.5,是\nS002,2026-10-01,877,6.25,否\n"
)


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_MAX_UPLOAD_KB="64")


@pytest.fixture
def owner(app_settings: Settings, web: TestClient) -> dict[str, str]:
    """A write token of an owner whose organization has a fresh draft, ``bus-stops-sample``."""
    engine: Engine = db.make_engine(app_settings.database_url)
    make_product(engine, OWNER, "bus-stops-sample", schema=[])
    headers = bearer(engine, OWNER)
    engine.dispose()
    return headers


def upload(web: TestClient, headers: dict[str, str], name: str, content: bytes) -> object:
    return web.post(
        "/api/v1/products/bus-stops-sample/sample", files={"sample": (name, content)}, headers=headers
    )


def test_a_csv_sample_gives_the_schema_and_the_preview(
    web: TestClient, owner: dict[str, str], app_settings: Settings
) -> None:
    for encoding in ("utf-8", "gb18030"):  # Excel in China saves CSV as GBK
        answer = upload(web, owner, "stops.csv", CSV.encode(encoding))
        assert answer.status_code == 200, answer.text
    body = answer.json()  # type: ignore[attr-defined]
    assert [(f["name"], f["type"]) for f in body["schema_fields"]] == [
        ("站点编号", "string"),
        ("日期", "date"),
        ("客流人次", "integer"),
        ("平均候车分钟", "number"),
        ("是否枢纽", "boolean"),
    ]
    assert body["rows"][0] == ["S001", "2026-10-01", "3120", "4.5", "是"]
    product = web.get("/api/v1/products/bus-stops-sample", headers=owner).json()
    assert (
        product["schema_fields"][2]["name"] == "客流人次"
        and product["sample_preview"]["rows"][1][0] == "S002"
    )
    stored = list((app_settings.uploads_dir / "products").rglob("sample.csv"))
    assert len(stored) == 1 and stored[0].read_bytes() == CSV.encode("gb18030")


def test_an_xlsx_sample_is_read_with_its_types(web: TestClient, owner: dict[str, str]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["企业名称", "注册资本（万元）", "成立日期"])
    sheet.append(["淮安某某物流有限公司", 500, __import__("datetime").date(2019, 3, 1)])
    sheet.append(["淮安某某食品有限公司", 1200.5, __import__("datetime").date(2021, 7, 15)])
    buffer = io.BytesIO()
    book.save(buffer)
    answer = upload(web, owner, "companies.xlsx", buffer.getvalue())
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    types = [f["type"] for f in answer.json()["schema_fields"]]  # type: ignore[attr-defined]
    assert types == ["string", "number", "datetime"]  # openpyxl reads dates as datetimes


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.sh", b"#!/bin/sh\nrm -rf /\n", "CSV or XLSX"),
        ("fake.xlsx", b"<html>not a workbook</html>", "not an XLSX"),
        ("broken.xlsx", b"PK\x03\x04 truncated", "could not be read"),
        ("latin.csv", "name\nJos\xe9\n".encode("utf-16"), "UTF-8"),
        ("header-only.csv", b"a,b,c\n", "header row"),
        ("big.csv", b"a,b\n" + b"1,2\n" * 40000, "limit"),
    ],
)
def test_bad_samples_are_refused_with_a_message_and_nothing_kept(
    web: TestClient, owner: dict[str, str], app_settings: Settings, name: str, content: bytes, message: str
) -> None:
    answer = upload(web, owner, name, content)
    assert answer.status_code in (413, 422), answer.text  # type: ignore[attr-defined]
    if answer.status_code == 422:  # type: ignore[attr-defined]
        assert message in answer.json()["error"]["fields"]["sample"]  # type: ignore[attr-defined]
    assert not app_settings.uploads_dir.exists()
    assert web.get("/api/v1/products/bus-stops-sample", headers=owner).json()["sample_preview"] is None


def test_type_inference() -> None:
    assert infer_type(["1", "2", ""]) == "integer"
    assert infer_type(["1", "2.5"]) == "number"
    assert infer_type(["2026-01-02", "2026/1/3"]) == "date"
    assert infer_type(["是", "否"]) == "boolean"
    assert infer_type(["1", "x"]) == "string"
    assert infer_type([]) == "string"


def test_a_zip_bomb_and_unreadable_csv_fields_are_refused() -> None:
    import zipfile as zf

    from catalog.errors import Invalid
    from catalog.products.samples import read_table

    buffer = io.BytesIO()
    with zf.ZipFile(buffer, "w", zf.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<row>" + b"0" * (60 * 2**20) + b"</row>")
    with pytest.raises(Invalid, match="too much"):
        read_table("bomb.xlsx", buffer.getvalue(), who="test")
    with pytest.raises(Invalid, match="could not be read"):
        read_table("long.csv", b"a,b\n" + b'"' + b"x" * 200_000 + b'",1\n', who="test")


@pytest.mark.both_backends
def test_a_sample_is_kept_only_when_the_database_keeps_it(
    web: TestClient, owner: dict[str, str], app_settings: Settings
) -> None:
    from catalog.permissions import Actor
    from catalog.products.samples import attach_sample

    engine = db.make_engine(app_settings.database_url)
    with Session(engine) as session:
        actor = account(session, OWNER)
        uploads = app_settings.uploads_dir
        attach_sample(session, actor, uploads, "bus-stops-sample", "s.csv", CSV.encode(), 10**6)
        session.rollback()  # the database write failed: nothing on disk either
    folder = app_settings.uploads_dir
    assert not list(folder.rglob("*.csv")) and not list(folder.rglob("*.tmp"))
    assert isinstance(actor, Actor)
    # a bearer-token upload from a client that also holds cookies is not taken for a CSRF attempt
    web.cookies.set("csrftoken", "anything")
    answer = upload(web, owner, "stops.csv", CSV.encode())
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert list(folder.rglob("sample.csv")) and not list(folder.rglob("*.tmp"))


@pytest.mark.both_backends
def test_a_file_name_holding_nul_is_refused_and_nothing_kept(
    web: TestClient, owner: dict[str, str], app_settings: Settings
) -> None:
    """Sent raw, as a client may: PostgreSQL can neither store nor compare text holding U+0000."""
    body = (
        b'--BOUND\r\nContent-Disposition: form-data; name="sample"; filename="a\x00b.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + "名称,数量\n甲,1\n".encode() + b"\r\n--BOUND--\r\n"
    )
    headers = {**owner, "content-type": "multipart/form-data; boundary=BOUND"}
    answer = web.post("/api/v1/products/bus-stops-sample/sample", headers=headers, content=body)
    assert answer.status_code == 400 and "NUL" in answer.json()["error"]["message"], answer.text
    assert not app_settings.uploads_dir.exists()
    assert web.get("/api/v1/products/bus-stops-sample", headers=owner).json()["sample_preview"] is None


def test_a_sample_is_added_only_to_an_item_its_owner_edits(web: TestClient, owner: dict[str, str]) -> None:
    """The editable-states rule of every edit: 409 invalid_transition naming the editable states."""
    assert web.post("/api/v1/products/bus-stops-sample/transition", json={"to": "submitted"}, headers=owner)
    answer = upload(web, owner, "stops.csv", CSV.encode())
    assert answer.status_code == 409, answer.text  # type: ignore[attr-defined]
    error = answer.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "invalid_transition"
    assert error["allowed"] == ["changes_requested", "draft", "rejected"]


def test_the_public_sample_csv_keeps_formulas_as_text_and_numbers_as_numbers(
    web: TestClient, owner: dict[str, str]
) -> None:
    """Cells a spreadsheet would run (=, +, -, @, tab, CR first) get the text mark the admin exports put
    before them; numbers, negative ones included, stay as they are."""
    cells = [
        '=HYPERLINK("http://x.example","点击")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "-5",
        "+3.25",
        "正常",
    ]
    rows = [["-a", "b", "c", "d", "e", "f", "g", "h", "i"], cells]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    assert upload(web, owner, "tricky.csv", buffer.getvalue().encode()).status_code == 200  # type: ignore[attr-defined]
    served = web.get("/products/bus-stops-sample/sample.csv", headers=owner)
    assert served.status_code == 200
    header, row = list(csv.reader(io.StringIO(served.text)))
    assert header == ["'-a", *rows[0][1:]]
    assert row == ["'" + c for c in cells[:6]] + ["-5", "+3.25", "正常"]
    package = web.get("/products/bus-stops-sample/datapackage.json", headers=owner).json()
    (sample,) = [r for r in package["resources"] if r["name"] == "sample"]
    assert [f["name"] for f in sample["schema"]["fields"]] == header  # the package names what the CSV has


def test_a_workbook_of_too_many_shared_strings_is_refused_and_nothing_kept(
    web: TestClient, owner: dict[str, str], app_settings: Settings
) -> None:
    """The review's sample: a small workbook whose strings part expands a hundredfold passes the size
    and ratio checks, but its strings are counted before they are read: refused at once."""
    bomb = workbook([["站点", "客流"], ["S1", "1200"]], strings=150_000, padding=30_000)
    assert len(bomb) < 64 * 1024 and not expands_too_much(bomb)
    answer = upload(web, owner, "bomb.xlsx", bomb)
    assert answer.status_code == 422, answer.text  # type: ignore[attr-defined]
    assert answer.json()["error"]["fields"]["sample"] == sheets.TOO_LARGE  # type: ignore[attr-defined]
    assert not app_settings.uploads_dir.exists()
    assert web.get("/api/v1/products/bus-stops-sample", headers=owner).json()["sample_preview"] is None
