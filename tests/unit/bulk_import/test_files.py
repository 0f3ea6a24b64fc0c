"""Import files: each row keeps the line that names it in the file, whatever the format, and a file
that cannot be read is refused with a message; the export has a column for every input field."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from catalog.bulk_import.files import Unreadable, read_file
from catalog.datasets.models import DatasetCreate
from catalog.products.models import ProductCreate
from catalog.stats.exports import DATASET_COLUMNS, PRODUCT_COLUMNS


def test_csv_rows_are_named_by_the_physical_line_they_start_on() -> None:
    text = 'code,title\nA-1,"two\nlines"\n\nA-2,plain\r\nA-3,"three\r\nline\r\ncell"\nA-4,last\n'
    table = read_file(
        "d.csv", text.encode("utf-8-sig"), who="test"
    )  # with a byte-order mark, as Excel writes
    assert table.columns == ["code", "title"] and table.header_line == 1
    assert [(r.line, r.values["code"]) for r in table.rows] == [
        (2, "A-1"),
        (5, "A-2"),
        (6, "A-3"),
        (9, "A-4"),
    ]
    assert table.rows[0].values["title"] == "two\nlines"
    assert read_file("d.csv", text.encode(), who="test").rows[3].line == 9  # and without one


def test_a_value_outside_the_named_columns_is_flagged() -> None:
    table = read_file("d.csv", b"code,title\nA-1,x,stray\nA-2,y,\n", who="test")
    assert [r.stray for r in table.rows] == [True, False]


def test_xlsx_rows_are_named_by_their_sheet_row_number() -> None:
    book = Workbook()
    sheet = book.active
    sheet["A2"], sheet["B2"] = "code", "title"  # the header on row 2
    sheet["A3"], sheet["B3"] = "A-1", "first"
    sheet["A6"], sheet["B6"] = 12345, "after blank rows"
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_file("d.xlsx", buffer.getvalue(), who="test")
    assert table.header_line == 2
    assert [(r.line, r.values["code"]) for r in table.rows] == [(3, "A-1"), (6, 12345)]


def test_json_items_are_named_by_the_line_their_object_starts_on() -> None:
    items = [{"code": "A-1", "title": "x"}, {"code": "A-2", "title": "y"}]
    listed = json.dumps(items, indent=2).encode()
    assert [r.line for r in read_file("d.json", listed, who="test").rows] == [2, 6]
    wrapped = '{"note": {"items": 1},\n "items": [\n' + ",\n\n".join(json.dumps(i) for i in items) + "]}"
    table = read_file("d.json", wrapped.encode(), who="test")
    assert [(r.line, r.values["code"]) for r in table.rows] == [(3, "A-1"), (5, "A-2")]
    assert table.header_line is None and table.columns == ["code", "title"]


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 2**20))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.sh", b"#!/bin/sh\n", "Choose a CSV, XLSX or JSON file."),
        ("empty.csv", b"\n\n", "The file is empty"),
        ("fake.xlsx", b"<html>not a workbook</html>", "This is not an XLSX file."),
        ("broken.xlsx", b"PK\x03\x04 truncated", "could not be read"),
        ("bomb.xlsx", _zip_bomb(), "expands to too much data"),
        ("latin.csv", "code\nJos\xe9\n".encode("utf-16"), "neither UTF-8"),
        ("huge-cell.csv", b"code,title\nA-1," + b"x" * 140_000 + b"\n", "could not be read at line 2"),
        ("broken.json", b'[{"code": "A-1"},\n{"code": }]', "could not be read at line 2"),
        ("object.json", b'{"code": "A-1"}', 'an "items" list'),
    ],
)
def test_an_unreadable_file_is_refused_with_a_message(name: str, content: bytes, message: str) -> None:
    with pytest.raises(Unreadable) as caught:
        read_file(name, content, who="test")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("model", "columns"), [(ProductCreate, PRODUCT_COLUMNS), (DatasetCreate, DATASET_COLUMNS)]
)
def test_the_export_has_a_column_for_every_input_field(model: type, columns: tuple[str, ...]) -> None:
    keys = {"slug": "id", "code": "code"}
    fields = {keys.get(name, info.alias or name) for name, info in model.model_fields.items()}
    assert fields - set(columns) == set()
