"""Sample files of products: a CSV or XLSX upload, checked and stored under the data dir (never
executed or served back as is), from which the field schema is inferred and the first rows kept for
the product page's preview."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from catalog import db, sheets
from catalog.audit import services as audit
from catalog.errors import Invalid, NotFound
from catalog.i18n import N_
from catalog.listings import states
from catalog.permissions import Actor, can_manage_listings_of, require_write
from catalog.products.models import DataProduct

PREVIEW_ROWS = 10
INFER_ROWS = 500
MAX_COLUMNS = 200
MAX_CELL = 200  # characters kept of each previewed cell


class SamplePublic(BaseModel):
    name: str
    columns: list[str]
    rows: list[list[str]]
    schema_fields: list[dict[str, str]]


def read_table(name: str, content: bytes, who: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of a CSV (UTF-8 or GB18030) or XLSX file (read within ``sheets``' bounds, one at a
    time per account ``who``); ``Invalid`` for anything else."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        if not content.startswith(b"PK\x03\x04"):
            raise _bad(N_("This is not an XLSX file."))
        _check_zip(content)
        try:
            read = sheets.read_rows(content, rows=INFER_ROWS + 1, columns=MAX_COLUMNS, who=who)
        except sheets.Refused as exc:
            raise _bad(exc.message) from None
        table = [cells for _, cells in read]
    elif suffix == ".csv":
        text = _decode(content)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        try:
            reader = csv.reader(io.StringIO(text), dialect)
            table = [row for _, row in zip(range(INFER_ROWS + 1), reader, strict=False)]
        except csv.Error:  # a field over the reader's limit, a stray NUL, …
            raise _bad(N_("This CSV file could not be read.")) from None
    else:
        raise _bad(N_("Upload a CSV or XLSX file."))
    table = [row for row in table if any(cell not in (None, "") for cell in row)]
    if len(table) < 2:
        raise _bad(N_("The sample needs a header row and at least one row of data."))
    first = list(table[0][:MAX_COLUMNS])
    while first and first[-1] in (None, ""):  # a reader may pad rows with empty cells
        first.pop()
    header = [str(c).strip() if c not in (None, "") else f"column_{i + 1}" for i, c in enumerate(first)]
    return header, [row[: len(header)] for row in table[1:]]


MAX_UNZIPPED = 50 * 2**20  # an XLSX may expand to this much XML, no more
MAX_RATIO = 100  # nor expand more than this many times its size


def _check_zip(content: bytes) -> None:
    """Refuse a workbook that would expand into far more XML than its size (a zip bomb)."""
    try:
        too_much = expands_too_much(content)
    except (zipfile.BadZipFile, ValueError):
        raise _bad(N_("This XLSX file could not be read.")) from None
    if too_much:
        raise _bad(N_("This XLSX file expands to too much data: save a smaller sample."))


def expands_too_much(content: bytes) -> bool:
    """Whether a zip archive (an XLSX workbook) expands past the limits, a zip bomb's sign: sample
    files and import files alike. ``zipfile.BadZipFile`` or ``ValueError`` when it is no archive."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        expanded = sum(info.file_size for info in archive.infolist())
    return expanded > MAX_UNZIPPED or expanded > MAX_RATIO * max(len(content), 1)


def _bad(message: str) -> Invalid:
    return Invalid(message, fields={"sample": message})


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese spreadsheets often save CSV as GBK
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _bad(N_("This CSV file is neither UTF-8 nor GB18030 text."))


_INT = re.compile(r"^[+-]?\d+$")
_NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$")


def infer_type(values: list[Any]) -> str:
    """integer, number, date, datetime, boolean or string: the narrowest that fits every value."""
    present = [v for v in values if v not in (None, "")]
    if not present:
        return "string"
    if all(isinstance(v, bool) or str(v).strip().lower() in ("true", "false", "是", "否") for v in present):
        return "boolean"
    if all((isinstance(v, int) and not isinstance(v, bool)) or _INT.match(str(v).strip()) for v in present):
        return "integer"
    if all(
        (isinstance(v, int | float) and not isinstance(v, bool)) or _NUM.match(str(v).strip())
        for v in present
    ):
        return "number"
    if all(isinstance(v, dt.datetime) for v in present):
        return "datetime"
    if all(isinstance(v, dt.date) or _DATE.match(str(v).strip()) for v in present):
        return "date"
    return "string"


def infer_schema(header: list[str], rows: list[list[Any]]) -> list[dict[str, str]]:
    """One field per column; the description starts as the column's header, for the owner to refine."""
    return [
        {
            "name": name[:100],
            "type": infer_type([row[i] if i < len(row) else None for row in rows]),
            "description": name[:500],
        }
        for i, name in enumerate(header)
    ]


def _cell(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return "" if value is None else str(value)[:MAX_CELL]


def attach_sample(
    session: Session, actor: Actor, uploads_dir: Path, slug: str, name: str, content: bytes, max_bytes: int
) -> SamplePublic:
    """Check and keep a product's sample file, infer its field schema (replacing a schema the owner
    has not written) and keep its first rows for the preview."""
    require_write(actor)
    product = session.exec(select(DataProduct).where(DataProduct.slug == slug)).first()
    if product is None or not can_manage_listings_of(actor, product.provider_id):
        raise NotFound(f"no data product {slug!r}")
    refusal = N_("Samples are added to drafts; edit a listed product as a new version first.")
    states.check_editable("product", product, refusal)
    if len(content) > max_bytes:
        raise _bad(N_("The sample is larger than the upload limit."))
    header, rows = read_table(name, content, who=f"user:{actor.user_id}")
    schema = infer_schema(header, rows)
    preview = [[_cell(c) for c in row] for row in rows[:PREVIEW_ROWS]]
    target = uploads_dir / "products" / str(product.id) / f"sample{Path(name).suffix.lower()}"
    # stored as data under a name of ours, never run or served as is, and only with its preview row
    db.write_on_commit(session, target, content)
    product.sample_name = Path(name).name[:200]
    product.sample_preview = {"columns": header, "rows": preview}
    if not any(f.get("description") and f.get("description") != f.get("name") for f in product.field_schema):
        product.field_schema = schema
    session.add(product)
    audit.record(
        session,
        actor,
        "product.sample",
        "product",
        slug,
        f"sample {product.sample_name} ({len(rows)} rows read)",
    )
    return SamplePublic(
        name=product.sample_name, columns=header, rows=preview, schema_fields=product.field_schema
    )
