"""Exports of the catalog and its figures as CSV (UTF-8 with a byte-order mark, so that Excel opens
Chinese text right), XLSX (openpyxl) and JSON: every product or dataset in every state, one row each,
with every field that recreates it (``catalog import`` reads the same columns back)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from catalog.accounts import queries as accounts
from catalog.datasets import queries as datasets
from catalog.licences.queries import licence_codes
from catalog.models_base import saved_id
from catalog.permissions import Actor, can_administer, require
from catalog.products import queries as products
from catalog.registrations.states import MATERIALS
from catalog.settings import Settings
from catalog.stats.services import catalog_stats

MEDIA_TYPES = {  # of each export format, as the admin pages send them
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
KINDS = ("products", "datasets", "stats")
FORMATS = ("csv", "xlsx", "json")
# The first columns keep their places; those that complete an item for import follow them.
# a product's registration materials (26号), as their fields are named
MATERIAL_COLUMNS = tuple(name for name in MATERIALS if name != "scenarios")
PRODUCT_COLUMNS = (
    "listing_no", "id", "title", "title_en", "status", "provider", "provider_code", "product_type",
    "delivery_mode", "update_frequency", "security_grade", "source_type", "price_model", "price",
    "price_unit", "license", "sectors", "source_datasets", "tags", "version", "listed_at", "updated_at",
    "summary", "summary_en", "description", "description_en", "scenarios", "personal_info",
    "deidentification", "permitted_purpose", "usage_term_months", "other_restrictions", "extra_terms",
    "schema", "input_fields", "output_fields", "use_category", "price_trial", *MATERIAL_COLUMNS,
)  # fmt: skip
DATASET_COLUMNS = (
    "code", "title", "title_en", "status", "provider", "provider_code", "security_grade",
    "sharing_condition", "update_frequency", "sectors", "formats", "record_count", "listed_at", "updated_at",
    "description", "description_en", "keywords", "schema", "spatial_coverage", "temporal_start",
    "temporal_end", "quality_rating",
)  # fmt: skip
# Columns holding lists: joined by ";" in CSV and XLSX cells, lists in JSON.
LIST_COLUMNS = frozenset({"sectors", "source_datasets", "tags", "scenarios", "formats", "keywords"})
# Columns holding lists of fields ({"name", "type", "description", "unit"}): JSON text in a cell.
FIELD_COLUMNS = frozenset({"schema", "input_fields", "output_fields"})
LIST_SEPARATOR = ";"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def product_rows(session: Session) -> tuple[Sequence[str], list[list[Any]]]:
    """Every product as a row of ``PRODUCT_COLUMNS``, its values typed (lists, numbers, booleans)."""
    providers = accounts.slugs_and_codes(session)
    licences = licence_codes(session)
    sectors = products.sector_slugs_by_product(session)
    sources = products.source_codes_by_product(session)
    rows = []
    for p in products.all_products(session):
        provider, code = providers.get(p.provider_id, ("", ""))
        rows.append(
            [
                *(p.listing_no, p.slug, p.title, p.title_en, p.status, provider, code, p.product_type),
                *(
                    p.delivery_mode,
                    p.update_frequency,
                    p.security_grade,
                    p.source_type,
                    p.price_model,
                    p.price,
                ),
                *(
                    p.price_unit,
                    licences.get(p.licence_id, ""),
                    sectors.get(saved_id(p), []),
                    sources.get(saved_id(p), []),
                ),
                *(p.tags, p.version, _iso(p.listed_at), _iso(p.updated_at)),
                *(p.summary, p.summary_en, p.description, p.description_en, p.scenarios, p.personal_info),
                *(p.deidentification, p.permitted_purpose, p.usage_term_months, p.other_restrictions),
                *(p.extra_terms, p.field_schema, p.input_fields, p.output_fields, p.use_category),
                p.price_trial,
                *(_iso(getattr(p, c)) if c.endswith("_on") else getattr(p, c) for c in MATERIAL_COLUMNS),
            ]
        )
    return PRODUCT_COLUMNS, rows


def dataset_rows(session: Session) -> tuple[Sequence[str], list[list[Any]]]:
    """Every dataset as a row of ``DATASET_COLUMNS``, its values typed."""
    providers = accounts.slugs_and_codes(session)
    sectors = datasets.sector_slugs_by_dataset(session)
    rows = []
    for d in datasets.all_datasets(session):
        provider, code = providers.get(d.provider_id, ("", ""))
        rows.append(
            [
                *(d.code, d.title, d.title_en, d.status, provider, code, d.security_grade),
                *(
                    d.sharing_condition,
                    d.update_frequency,
                    sectors.get(saved_id(d), []),
                    d.formats,
                    d.record_count,
                ),
                *(_iso(d.listed_at), _iso(d.updated_at), d.description, d.description_en, d.keywords),
                *(d.field_schema, d.spatial_coverage, _iso(d.temporal_start), _iso(d.temporal_end)),
                d.quality_rating,
            ]
        )
    return DATASET_COLUMNS, rows


ROW_KEYS = ("sector", "month", "id", "code", "value")


def stats_rows(figures: dict[str, Any]) -> tuple[Sequence[str], list[list[Any]]]:
    """The figures of ``catalog_stats`` as (figure, value) rows: ``products.listed``, ``datasets.target`` …"""
    rows: list[list[Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for item in value:
                if not isinstance(item, dict):
                    continue
                # each list item is named by its key: by_sector's sector, a trend's month, an id …
                name_key = next((k for k in ROW_KEYS if k in item), "")
                for name, inner in item.items():
                    if name != name_key:
                        walk(f"{prefix}.{item.get(name_key, '')}.{name}", inner)
        else:
            rows.append([prefix, value])

    walk("", figures)
    return ("figure", "value"), rows


def export(session: Session, actor: Actor, settings: Settings, kind: str, fmt: str) -> bytes:
    """One export as bytes; administrators only (it holds every item in every state)."""
    require(can_administer(actor), actor, "only administrators export the catalog")
    if kind == "stats":
        figures = catalog_stats(session, settings)
        if fmt == "json":  # the figures keep their shape, as /api/v1/stats gives them
            return json.dumps(figures, ensure_ascii=False, indent=2, default=str).encode()
        header, rows = stats_rows(figures)
    else:
        header, rows = product_rows(session) if kind == "products" else dataset_rows(session)
    if fmt == "json":
        return to_json(header, rows)
    return to_xlsx(kind, header, rows) if fmt == "xlsx" else to_csv(header, rows)


def cell(value: Any) -> Any:
    """A typed value as one spreadsheet cell: lists joined by ";", fields as JSON text, booleans as
    true/false, nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if any(isinstance(item, dict) for item in value):
            return json.dumps(value, ensure_ascii=False)
        return LIST_SEPARATOR.join(str(item) for item in value)
    return value


# Text a spreadsheet would take for a formula (=, +, -, @) or a control: an owner's title such as
# =HYPERLINK(…) must reach the officials who open the export as text, not run.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_TEXT_MARK = "'"  # what spreadsheets take as "this is text"; the import removes it again


NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")  # a number is no formula: -5 stays -5


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet shows as it is: text that it would take for a formula
    gets the text mark (every CSV the catalog serves goes through here)."""
    value = cell(value)
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return CSV_TEXT_MARK + value
    return value


def to_csv(header: Sequence[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def text_cells(sheet: Any, values: list[Any]) -> list[Any]:
    """A row for a write-only sheet in which every text is a text cell, never a formula."""
    from openpyxl.cell import WriteOnlyCell  # openpyxl loads on first use (a tenth of a second)

    cells = []
    for value in values:
        if isinstance(value, str):
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"
            cells.append(text)
        else:
            cells.append(value)
    return cells


def to_xlsx(title: str, header: Sequence[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append(text_cells(sheet, [cell(value) for value in row]))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_json(header: Sequence[str], rows: list[list[Any]]) -> bytes:
    """A list of objects, one per row, each on its own lines (an import's report names those lines)."""
    items = [dict(zip(header, row, strict=True)) for row in rows]
    text = json.dumps(items, ensure_ascii=False, indent=1, default=_json_default)
    return text.encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # a price: a number, as the JSON API gives it
        return float(value)
    return str(value)
