"""Exports of the catalog and its figures as CSV (UTF-8 with a byte-order mark, so that Excel opens
Chinese text right) and XLSX (openpyxl): every product or dataset in every state, one row each."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, col, select

from catalog.accounts.models import Organization
from catalog.datasets.models import Dataset, DatasetSector
from catalog.licences.models import Licence
from catalog.permissions import Actor, can_administer, require
from catalog.products.models import DataProduct, ProductSector, ProductSource
from catalog.sectors.models import Sector
from catalog.settings import Settings
from catalog.stats.services import catalog_stats

KINDS = ("products", "datasets", "stats")
FORMATS = ("csv", "xlsx")
PRODUCT_COLUMNS = (
    "listing_no", "id", "title", "title_en", "status", "provider", "provider_code", "product_type",
    "delivery_mode", "update_frequency", "security_grade", "source_type", "price_model", "price",
    "price_unit", "license", "sectors", "source_datasets", "tags", "version", "listed_at", "updated_at",
)  # fmt: skip
DATASET_COLUMNS = (
    "code", "title", "title_en", "status", "provider", "provider_code", "security_grade",
    "sharing_condition", "update_frequency", "sectors", "formats", "record_count", "listed_at", "updated_at",
)  # fmt: skip


def _joined(pairs: Iterable[tuple[int, str]]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return {k: ";".join(sorted(v)) for k, v in out.items()}


def product_rows(session: Session) -> tuple[Sequence[str], list[list[Any]]]:
    orgs = {o.id: o for o in session.exec(select(Organization))}
    licences = {lc.id: lc.code for lc in session.exec(select(Licence))}
    sectors = _joined(
        session.exec(
            select(ProductSector.product_id, Sector.slug).join(Sector, Sector.id == ProductSector.sector_id)
        ).all()
    )  # type: ignore[arg-type]
    sources = _joined(
        session.exec(
            select(ProductSource.product_id, Dataset.code).join(
                Dataset, Dataset.id == ProductSource.dataset_id
            )
        ).all()
    )  # type: ignore[arg-type]
    rows = []
    for p in session.exec(select(DataProduct).order_by(col(DataProduct.id))):
        org = orgs.get(p.provider_id)
        provider, code = (org.name, org.code) if org else ("", "")
        price = "" if p.price is None else str(p.price)
        listed = p.listed_at.isoformat() if p.listed_at else ""
        rows.append(
            [
                *(p.listing_no or "", p.slug, p.title, p.title_en, p.status, provider, code, p.product_type),
                *(p.delivery_mode, p.update_frequency, p.security_grade, p.source_type, p.price_model, price),
                *(p.price_unit, licences.get(p.licence_id, ""), sectors.get(p.id, ""), sources.get(p.id, "")),  # type: ignore[arg-type]
                *(";".join(p.tags), p.version, listed, p.updated_at.isoformat()),
            ]
        )
    return PRODUCT_COLUMNS, rows


def dataset_rows(session: Session) -> tuple[Sequence[str], list[list[Any]]]:
    orgs = {o.id: o for o in session.exec(select(Organization))}
    sectors = _joined(
        session.exec(
            select(DatasetSector.dataset_id, Sector.slug).join(Sector, Sector.id == DatasetSector.sector_id)
        ).all()
    )  # type: ignore[arg-type]
    rows = []
    for d in session.exec(select(Dataset).order_by(col(Dataset.id))):
        org = orgs.get(d.provider_id)
        provider, code = (org.name, org.code) if org else ("", "")
        listed = d.listed_at.isoformat() if d.listed_at else ""
        count = "" if d.record_count is None else d.record_count
        rows.append(
            [
                *(
                    d.code,
                    d.title,
                    d.title_en,
                    d.status,
                    provider,
                    code,
                    d.security_grade,
                    d.sharing_condition,
                ),
                *(d.update_frequency, sectors.get(d.id, ""), ";".join(d.formats), count, listed),  # type: ignore[arg-type]
                d.updated_at.isoformat(),
            ]
        )
    return DATASET_COLUMNS, rows


def stats_rows(figures: dict[str, Any]) -> tuple[Sequence[str], list[list[Any]]]:
    """The figures of ``catalog_stats`` as (figure, value) rows: ``products.listed``, ``datasets.target`` …"""
    rows: list[list[Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for item in value:
                key = item.get("sector", "") if isinstance(item, dict) else ""
                for name, inner in item.items() if isinstance(item, dict) else []:
                    if name != "sector":
                        walk(f"{prefix}.{key}.{name}", inner)
        else:
            rows.append([prefix, value])

    walk("", figures)
    return ("figure", "value"), rows


def export(session: Session, actor: Actor, settings: Settings, kind: str, fmt: str) -> bytes:
    """One export as bytes; administrators only (it holds every item in every state)."""
    require(can_administer(actor), actor, "only administrators export the catalog")
    if kind == "products":
        header, rows = product_rows(session)
    elif kind == "datasets":
        header, rows = dataset_rows(session)
    else:
        header, rows = stats_rows(catalog_stats(session, settings))
    return to_xlsx(kind, header, rows) if fmt == "xlsx" else to_csv(header, rows)


def to_csv(header: Sequence[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(title: str, header: Sequence[str], rows: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
