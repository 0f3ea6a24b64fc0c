"""Reading an import file — CSV, XLSX or JSON — into rows, and its cells into the values the input
models take. Each row keeps the line that names it in the file: the physical line where a CSV record
starts (header = line 1, quoted cells may span lines), the sheet's row number in XLSX, the line where
a JSON object starts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from catalog import sheets
from catalog.i18n import N_
from catalog.products.samples import expands_too_much
from catalog.stats.exports import CSV_TEXT_MARK, FIELD_COLUMNS, FORMULA_START, LIST_COLUMNS, LIST_SEPARATOR
from catalog.validation import JsonTooDeep, load_json

MAX_ROWS = 10_000  # rows of one import file
MAX_COLUMNS = 200  # values read of each row of an import workbook (the columns are far fewer)
MAX_STRINGS = 500_000  # distinct texts of an import workbook: 10,000 rows of 50 columns
SUFFIXES = (".csv", ".xlsx", ".json")
DATE_COLUMNS = frozenset({"listed_at", "temporal_start", "temporal_end"})
NUMBER_COLUMNS = frozenset({"price", "usage_term_months", "record_count"})
TRUE, FALSE = ("true", "1", "yes", "y", "是"), ("false", "0", "no", "n", "否")


class Unreadable(Exception):
    """The file as a whole cannot be read; ``message`` is shown to people (``params`` fill it in)."""

    def __init__(self, message: str, line: int | None = None, **params: Any) -> None:
        if line is not None:
            params["line"] = line  # the message may name it
        super().__init__(message % params if params else message)
        self.message, self.line, self.params = message, line, {k: str(v) for k, v in params.items()}


@dataclass
class Row:
    line: int
    values: dict[str, Any]
    stray: bool = False  # a value in a column the header does not name


@dataclass
class Table:
    columns: list[str]  # the header's names, in order (for JSON: every key any object has)
    header_line: int | None  # None for JSON, whose objects name their own keys
    rows: list[Row] = field(default_factory=list)


def read_file(name: str, content: bytes, who: str) -> Table:
    """The rows of an import file, by its suffix (a workbook read within ``sheets``' bounds, one at a time
    per account ``who``); ``Unreadable`` for anything else."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return _table(_csv_records(content))
    if suffix == ".xlsx":
        return _table(_xlsx_records(content, who))
    if suffix == ".json":
        return _json_table(content)
    raise Unreadable(N_("Choose a CSV, XLSX or JSON file."))


def _too_many() -> Unreadable:
    return Unreadable(N_("The file holds more than %(n)s rows: split it."), n=MAX_ROWS)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(records: list[tuple[int, list[Any]]]) -> Table:
    """Header and rows of a spreadsheet's non-blank records (``(line, cells)``, the header first)."""
    if not records:
        raise Unreadable(N_("The file is empty: it needs a header row and a row per item."))
    header_line, header = records[0]
    names = ["" if _blank(c) else str(c).strip() for c in header]
    table = Table(columns=[n for n in names if n], header_line=header_line)
    for line, cells in records[1:]:
        row = Row(line, {})
        for position, value in enumerate(cells):
            name = names[position] if position < len(names) else ""
            if name:
                row.values[name] = value
            elif not _blank(value):
                row.stray = True
        table.rows.append(row)
    return table


def _unmarked(value: str) -> str:
    """A CSV cell without the text mark the export puts before what looks like a formula."""
    if value.startswith(CSV_TEXT_MARK) and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _csv_records(content: bytes) -> list[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # Excel in China saves CSV as GBK unless told otherwise
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise Unreadable(N_("This CSV file is neither UTF-8 nor GB18030 text.")) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[Any]]] = []
    previous = 0
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num  # a quoted cell may span several lines
            if all(_blank(c) for c in cells):
                continue
            if len(records) > MAX_ROWS:
                raise _too_many()
            records.append((start, [_unmarked(c) for c in cells]))
    except csv.Error as exc:  # a cell past the reader's size limit, a NUL byte …
        raise Unreadable(
            N_("The CSV file could not be read at line %(line)s: %(reason)s"),
            line=reader.line_num,
            reason=exc,
        ) from None
    return records


def _xlsx_records(content: bytes, who: str) -> list[tuple[int, list[Any]]]:
    if not content.startswith(b"PK\x03\x04"):
        raise Unreadable(N_("This is not an XLSX file."))
    _check_expansion(content)
    try:  # in the samples' time too (10,000 rows of 45 columns take about 4 s): past it, CSV is asked for
        records = sheets.read_rows(
            content, rows=MAX_ROWS + 1, columns=MAX_COLUMNS, who=who, strings=MAX_STRINGS
        )
    except sheets.Refused as exc:
        raise Unreadable(exc.message) from None
    if len(records) > MAX_ROWS:
        raise _too_many()
    return records


def _check_expansion(content: bytes) -> None:
    """Refuse a workbook that would expand into far more XML than its size (a zip bomb), within the
    limits sample files have."""
    try:
        too_much = expands_too_much(content)
    except (zipfile.BadZipFile, ValueError):
        raise Unreadable(N_("This XLSX file could not be read.")) from None
    if too_much:
        raise Unreadable(N_("This XLSX file expands to too much data: split it into smaller files."))


_SPACE = " \t\r\n"


def _json_table(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable(N_("This JSON file is not UTF-8 text.")) from None
    try:
        data = load_json(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(
            N_("The JSON file could not be read at line %(line)s: %(reason)s"),
            line=exc.lineno,
            reason=exc.msg,
        ) from None
    except JsonTooDeep:
        raise Unreadable(N_("The JSON file is nested too deeply.")) from None
    if isinstance(data, list):
        items, start = data, _skip(text, 0)
    elif isinstance(data, dict) and isinstance(data.get("items"), list):
        items, start = data["items"], _items_start(text)
    else:
        raise Unreadable(N_('The JSON file must hold a list of objects, or an object with an "items" list.'))
    if len(items) > MAX_ROWS:
        raise _too_many()
    table = Table(columns=[], header_line=None)
    for line, item in zip(_element_lines(text, start), items, strict=True):
        values = item if isinstance(item, dict) else {"": item}  # not an object: the import says so
        table.rows.append(Row(line, values))
        table.columns.extend(k for k in values if k not in table.columns)
    return table


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _SPACE:
        index += 1
    return index


def _items_start(text: str) -> int:
    """Where the value of the top-level object's (last) ``items`` key starts, in a valid document."""
    decoder = json.JSONDecoder()
    index, found = _skip(text, _skip(text, 0) + 1), 0
    while text[index] != "}":
        key, index = decoder.raw_decode(text, index)
        index = _skip(text, _skip(text, index) + 1)  # past the colon
        if key == "items":
            found = index
        _, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return found


def _element_lines(text: str, start: int) -> list[int]:
    """The line where each element of the (valid) array at ``start`` begins."""
    decoder = json.JSONDecoder()
    lines, index = [], _skip(text, start + 1)
    line, counted = 1, 0
    while text[index] != "]":
        line += text.count("\n", counted, index)
        counted = index
        lines.append(line)
        _, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return lines


# --- cells ---------------------------------------------------------------------------------------
def is_empty(value: Any) -> bool:
    """A blank cell, a JSON null or an empty list: the column is left to its default."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def as_text(value: Any) -> str:
    """A cell as text: spreadsheets give numbers for words like 12345, and dates as datetimes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def cell_value(column: str, value: Any) -> Any:
    """One cell (or JSON value) as the model takes it; ``ValueError(message, params)`` otherwise."""
    if column in LIST_COLUMNS:
        return value if isinstance(value, list) else _split(value)
    if column in FIELD_COLUMNS:
        return _json_text(value) if isinstance(value, str) else value
    if column == "personal_info":
        return _boolean(value)
    if column in DATE_COLUMNS:
        return _date(value)
    if column == "price" and isinstance(value, float):  # a spreadsheet's number: its shortest text
        return Decimal(repr(value))
    if column in NUMBER_COLUMNS or not isinstance(value, str | int | float | dt.date):
        return value.strip() if isinstance(value, str) else value
    return as_text(value)


def _split(value: Any) -> list[str]:
    return [part.strip() for part in as_text(value).split(LIST_SEPARATOR) if part.strip()]


def _json_text(value: str) -> Any:
    try:
        return load_json(value)
    except ValueError as exc:
        raise ValueError(N_("This is not JSON text: %(reason)s."), {"reason": str(exc)}) from None


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = as_text(value).lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ValueError(N_("Write true or false."))


def _date(value: Any) -> Any:
    """A date; the date of a datetime (the export writes the moment of listing, the import takes its day)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}[T ]", value.strip()):
        return value.strip()[:10]
    return value.strip() if isinstance(value, str) else value
