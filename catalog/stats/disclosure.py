"""The annual disclosure report the national rules ask of authorized operators: for one year, each
operator's authorized public-data resources, its list of products and services with their fees, and
the access requests it handled. Built from the catalog as it stands; an XLSX and a printable page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlmodel import Session

from catalog.accounts.queries import organizations_by_id
from catalog.errors import Invalid
from catalog.i18n import N_
from catalog.licences.queries import licences_by_id
from catalog.listings.queries import listings_and_delistings
from catalog.listings.states import ListingStatus, is_listed
from catalog.models_base import saved_id
from catalog.permissions import Actor, can_administer, require
from catalog.products import queries as products_queries
from catalog.products.models import DataProduct
from catalog.requests.queries import request_counts_by_provider
from catalog.requests.workflow import RequestStatus as R
from catalog.vocabularies import OrganizationKind, label

FIRST_YEAR = 2020


def _bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)


def check_year(year: int, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    if not FIRST_YEAR <= year <= today.year:
        raise Invalid(N_("Choose a year from 2020 to this year."), fields={"year": str(year)})
    return year


def parse_year(raw: str | None) -> int:
    """The report year a visitor asked for (``?year=``; this year when empty), checked."""
    raw = raw or str(dt.date.today().year)
    try:
        year = int(raw)
    except ValueError:
        raise Invalid(N_("Choose a year from 2020 to this year."), fields={"year": raw}) from None
    return check_year(year)


def disclosure_report(session: Session, actor: Actor, year: int) -> dict[str, Any]:
    """The report of ``year``: one entry per authorized operator that had a product on offer in it."""
    require(can_administer(actor), actor, "only administrators produce the disclosure report")
    check_year(year)
    start, end = _bounds(year)
    candidates = products_queries.ever_listed_products(session)
    histories = _histories(session, candidates)
    products = [p for p in candidates if _on_offer(*histories[saved_id(p)], start, end)]
    sources = products_queries.source_datasets_by_product(session, [p.id for p in products])
    orgs = organizations_by_id(session)
    licences = licences_by_id(session)
    received = request_counts_by_provider(session, start, end, None)
    reached = {
        state: request_counts_by_provider(session, start, end, state) for state in (R.APPROVED, R.DELIVERED)
    }
    operators: dict[int, dict[str, Any]] = {}
    for p in products:
        org = orgs[p.provider_id]
        if org.kind != OrganizationKind.OPERATOR:
            continue
        entry = operators.setdefault(
            saved_id(org),
            {
                "id": org.slug,
                "name": org.name,
                "name_en": org.name_en,
                "code": org.code,
                "resources": {},
                "products": [],
                "requests": {
                    "received": received.get(saved_id(org), 0),
                    "approved": reached[R.APPROVED].get(saved_id(org), 0),
                    "delivered": reached[R.DELIVERED].get(saved_id(org), 0),
                },
            },
        )
        for d in sources.get(saved_id(p), []):
            owner = orgs.get(d.provider_id)
            entry["resources"][d.code] = {
                "code": d.code,
                "title": d.title,
                "department": owner.name if owner else "",
                "security_grade": d.security_grade,
            }
        licence = licences.get(p.licence_id)
        entry["products"].append(
            {
                "listing_no": p.listing_no or "",
                "id": p.slug,
                "title": p.title,
                "product_type": p.product_type,
                "status": p.status,
                "listed_at": p.listed_at.date().isoformat() if p.listed_at else "",
                "use_category": p.use_category,
                "price_model": p.price_model,
                "price": None if p.price is None else float(p.price),
                "price_unit": p.price_unit,
                "licence": licence.name if licence else "",
            }
        )
    entries = sorted(operators.values(), key=lambda e: e["code"])
    for entry in entries:
        entry["resources"] = sorted(entry["resources"].values(), key=lambda r: r["code"])
    return {
        "year": year,
        "operators": entries,
        "totals": {
            "operators": len(entries),
            "resources": len({r["code"] for e in entries for r in e["resources"]}),
            "products": sum(len(e["products"]) for e in entries),
        },
    }


def _histories(
    session: Session, products: list[DataProduct]
) -> dict[int, tuple[dt.datetime | None, dt.datetime | None]]:
    """For each product, when it was first listed and when its offer last ended (None while listed).

    From the listing events where there are any; an item loaded by the seed or an import has none,
    so its ``listed_at`` stands for the first listing and, when it is no longer listed, its
    ``updated_at`` for the end."""
    events = listings_and_delistings(session, "product")
    out: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
    for product in products:
        mine = events.get(saved_id(product), [])
        listings = [at for status, at in mine if status == ListingStatus.LISTED]
        if product.listed_at is not None:
            listings.append(product.listed_at)
        first = min(listings, default=None)
        ends = [at for status, at in mine if status == ListingStatus.DELISTED]
        ended = None if is_listed(product) else max(ends, default=product.updated_at)
        out[saved_id(product)] = (first, ended)
    return out


def _on_offer(
    first: dt.datetime | None,
    ended: dt.datetime | None,
    start: dt.datetime,
    end: dt.datetime,
) -> bool:
    """Whether the product was on offer at some time in [start, end)."""
    return first is not None and first < end and (ended is None or ended >= start)


def _fee(product: dict[str, Any]) -> str:
    text = label("price_model", product["price_model"])
    if product["price"] is not None:
        text += f" {product['price']:g} {product['price_unit']}"
    return text


def disclosure_xlsx(report: dict[str, Any]) -> bytes:
    """The report as a workbook: operators, authorized resources, and products and services with fees."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)
    sheets = (
        (
            "运营单位",
            ("统一社会信用代码", "运营单位", "授权资源数", "产品和服务数", "收到申请", "批准", "交付"),
            [
                [e["code"], e["name"], len(e["resources"]), len(e["products"]), *e["requests"].values()]
                for e in report["operators"]
            ],
        ),
        (
            "授权资源",
            ("运营单位", "数据资源编码", "数据资源名称", "提供部门", "安全级别"),
            [
                [
                    e["name"],
                    r["code"],
                    r["title"],
                    r["department"],
                    label("security_grade", r["security_grade"]),
                ]
                for e in report["operators"]
                for r in e["resources"]
            ],
        ),
        (
            "产品和服务及收费",
            ("运营单位", "挂牌编号", "产品名称", "产品类型", "状态", "挂牌日期", "用途", "收费", "许可"),
            [
                [
                    e["name"],
                    p["listing_no"],
                    p["title"],
                    label("product_type", p["product_type"]),
                    label("status", p["status"]),
                    p["listed_at"],
                    label("use_category", p["use_category"]),
                    _fee(p),
                    p["licence"],
                ]
                for e in report["operators"]
                for p in e["products"]
            ],
        ),
    )
    first = book.active
    for index, (title, header, rows) in enumerate(sheets):
        sheet = first if index == 0 else book.create_sheet()
        sheet.title = title
        sheet.append([f"淮安数据港 {report['year']} 年度公共数据授权运营信息披露 — {title}"])
        sheet.append(list(header))
        for cell in sheet[2]:
            cell.font = bold
        for row in rows:
            sheet.append(row)
            for item in sheet[sheet.max_row]:
                if isinstance(item.value, str):
                    item.data_type = "s"  # a title like =HYPERLINK(…) stays text, never a formula
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
