"""Frictionless data packages (https://datapackage.org): ``/products/{slug}/datapackage.json`` describes
a product's fields as Table Schemas and its sample, served beside it as ``sample.csv``.

The sample is the part of the owner's upload the product page already shows (its first rows, as
``products.samples`` keeps them): the uploaded file itself is never served back. A product with
neither a sample nor fields has nothing to package and answers 404 (a package needs a resource)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from catalog.errors import NotFound
from catalog.licences.services import licence_url
from catalog.listings.urls import organization_url
from catalog.products import services
from catalog.products.models import ProductDetail
from catalog.products.samples import infer_type
from catalog.stats.exports import csv_cell
from catalog.web import actor_for, call

# Table Schema's types, and the other names owners give types -> the Table Schema type they mean.
TABLE_SCHEMA_TYPES = frozenset(
    {"string", "number", "integer", "boolean", "object", "array", "date", "time", "datetime", "year"}
    | {"yearmonth", "duration", "geopoint", "geojson", "any"}
)
SYNONYMS = {
    **dict.fromkeys(("text", "str", "char", "varchar"), "string"),
    **dict.fromkeys(("int", "bigint", "long"), "integer"),
    **dict.fromkeys(("float", "double", "decimal", "numeric"), "number"),
    "bool": "boolean",
    "timestamp": "datetime",
    "list": "array",
    "json": "object",
}
TRUE_VALUES = ["true", "True", "TRUE", "是"]  # the values products.samples reads as booleans
FALSE_VALUES = ["false", "False", "FALSE", "否"]
SAMPLE = "sample.csv"


def has_package(product: ProductDetail) -> bool:
    """Whether the product has anything a data package describes."""
    return bool(
        product.sample_preview or product.schema_fields or product.input_fields or product.output_fields
    )


def product_package(product: ProductDetail, base_url: str) -> dict[str, Any]:
    """The ``datapackage.json`` of a product; its sample's path is relative to the descriptor."""
    base = base_url.rstrip("/")
    url = base + product.url
    licence = product.license
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": product.id,
        "id": url,
        "title": product.title,
        "description": "\n\n".join(t for t in (product.summary, product.description) if t),
        "homepage": url,
        "version": product.version,
        "keywords": product.tags,
        "licenses": [
            {
                "name": licence.code,
                "path": licence_url(licence, base),
                "title": licence.name,
            }
        ],
        "contributors": [
            {
                "title": product.provider.name,
                "path": base + organization_url(product.provider.id),
                "role": "publisher",
            }
        ],
        "sources": [{"title": d.title, "path": base + d.url} for d in product.source_datasets if d.url],
        "resources": _resources(product),
    }
    if product.listed_at:
        package["created"] = _rfc3339(product.listed_at)
    return {k: v for k, v in package.items() if v not in ("", [])}


def _resources(product: ProductDetail) -> list[dict[str, Any]]:
    resources = []
    if product.sample_preview:
        columns, rows = sample_table(product)
        declared = {str(f.get("name")): f for f in product.schema_fields}
        fields = [
            _sample_field(name, declared.get(name, {}), [row[i] for row in rows])
            for i, name in enumerate(columns)
        ]
        resources.append(
            {
                "name": "sample",
                "title": product.sample_name or SAMPLE,
                "profile": "tabular-data-resource",
                "path": SAMPLE,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields},
            }
        )
    elif product.schema_fields:
        resources.append(_schema_only("fields", product.schema_fields))
    if product.input_fields:
        resources.append(_schema_only("api-input", product.input_fields))
    if product.output_fields:
        resources.append(_schema_only("api-output", product.output_fields))
    return resources


def _schema_only(name: str, specs: list[dict[str, Any]]) -> dict[str, Any]:
    """A resource with a schema and no rows: inline data that is only the header."""
    names = _unique_names([str(s.get("name") or "") for s in specs])
    fields = [table_field(n, s) for n, s in zip(names, specs, strict=True)]
    return {"name": name, "profile": "tabular-data-resource", "data": [names], "schema": {"fields": fields}}


def table_field(name: str, spec: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
    """A Table Schema field from one of the catalog's field specs (the unit goes in the description)."""
    kind = kind or frictionless_type(str(spec.get("type") or ""))
    field: dict[str, Any] = {"name": name, "type": kind}
    text = str(spec.get("description") or "")
    if spec.get("unit"):
        text = f"{text} ({spec['unit']})" if text else str(spec["unit"])
    if text and text != name:
        field["description"] = text
    if kind == "boolean":
        field.update(trueValues=TRUE_VALUES, falseValues=FALSE_VALUES)
    return field


def frictionless_type(kind: str) -> str:
    """The Table Schema type of a catalog field type; ``any`` when it names none."""
    kind = kind.strip().lower()
    return kind if kind in TABLE_SCHEMA_TYPES else SYNONYMS.get(kind, "any")


def _sample_field(name: str, spec: dict[str, Any], values: list[str]) -> dict[str, Any]:
    """The field of a sample column: the declared type where the sample's cells fit it, else the type
    they show (so that the package describes the rows it serves)."""
    present = [v for v in values if v != ""]
    seen = infer_type(present)
    declared = frictionless_type(str(spec.get("type") or "any")) if spec else seen
    fits = (
        not present
        or declared in ("string", "any", seen)
        or (declared == "number" and seen == "integer")
        or (declared == "datetime" and seen == "date")
    )
    field = table_field(name, spec, declared if fits else seen)
    if field["type"] in ("date", "datetime"):
        field["format"] = "any"  # samples write dates as their owners did (2026/1/5, 2026-01-05 09:00)
    return field


def sample_table(product: ProductDetail) -> tuple[list[str], list[list[str]]]:
    """The sample's header (names made unique, and marked as text where a spreadsheet would take one
    for a formula: the package's field names and the CSV's header stay the same) and its rows, each as
    long as the header."""
    preview = product.sample_preview or {}
    columns = [str(csv_cell(name)) for name in _unique_names([str(c) for c in preview.get("columns", [])])]
    rows = [[str(c) for c in row][: len(columns)] for row in preview.get("rows", [])]
    return columns, [row + [""] * (len(columns) - len(row)) for row in rows]


def sample_csv(product: ProductDetail) -> str:
    columns, rows = sample_table(product)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)  # marked already
    writer.writerows([csv_cell(c) for c in row] for row in rows)
    return out.getvalue()


def _unique_names(names: list[str]) -> list[str]:
    """Field names as a schema needs them: present and unique (a second ``x`` becomes ``x_2``)."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        name = name.strip() or f"column_{i + 1}"
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _rfc3339(value: dt.datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- routes ---------------------------------------------------------------------------------------
async def _product(request: Request) -> ProductDetail:
    return await call(request, services.get_product, actor_for(request), request.path_params["slug"])


async def product_datapackage(request: Request) -> Response:
    product = await _product(request)
    if not has_package(product):
        raise NotFound("this product has no sample or field schema to package")
    return JSONResponse(product_package(product, request.app.state.settings.base_url))


async def product_sample(request: Request) -> Response:
    product = await _product(request)
    if not product.sample_preview:
        raise NotFound("this product has no sample")
    return Response(
        sample_csv(product),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{product.id}-sample.csv"'},
    )


routes = [
    Route("/products/{slug}/datapackage.json", product_datapackage, name="products.datapackage"),
    Route("/products/{slug}/sample.csv", product_sample, name="products.sample"),
]
