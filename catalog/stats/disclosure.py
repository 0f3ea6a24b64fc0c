"""The annual public disclosure of authorized operation (the National Data Administration's notice of
February 2026; 27号 arts. 18-19): for one year, the implementing body with its authorizations (to
whom, what, scope, term) and its fee caps, and for each operator its details, the resources it is
authorized on, its products and services with their actual fees, and the access requests it
received, approved and delivered. Public, as a page, an XLSX and JSON. Until an administrator
publishes a year (by the end of March of the next) it is built from the catalog as it stands; once
published it is frozen as it was."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlmodel import Session, select

from catalog.accounts.models import Organization
from catalog.accounts.queries import organizations_by_id
from catalog.audit import services as audit
from catalog.authorizations.queries import today as today_in_beijing
from catalog.authorizations.services import authorizations_in
from catalog.errors import Invalid, InvalidTransition
from catalog.i18n import N_
from catalog.licences.queries import licences_by_id
from catalog.listings.queries import listings_and_delistings
from catalog.listings.states import ListingStatus, is_listed, is_public
from catalog.models_base import saved_id
from catalog.permissions import Actor, can_administer, require, require_write
from catalog.products import queries as products_queries
from catalog.products.models import DataProduct
from catalog.requests.queries import request_counts_by_provider
from catalog.requests.workflow import RequestStatus as R
from catalog.stats.models import PublishedDisclosure
from catalog.vocabularies import OrganizationKind, label
from catalog.workdays import BEIJING

FIRST_YEAR = 2020


def years() -> list[int]:
    """The years a disclosure can be asked for, newest first (this year in Beijing included)."""
    return list(range(today_in_beijing().year, FIRST_YEAR - 1, -1))


def _bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """A year on the city's calendar (Beijing time), as an aware half-open range."""
    return dt.datetime(year, 1, 1, tzinfo=BEIJING), dt.datetime(year + 1, 1, 1, tzinfo=BEIJING)


def check_year(year: int, today: dt.date | None = None) -> int:
    today = today or today_in_beijing()
    if not FIRST_YEAR <= year <= today.year:
        raise Invalid(N_("Choose a year from 2020 to this year."), fields={"year": str(year)})
    return year


def parse_year(raw: str | None) -> int:
    """The report year a visitor asked for (``?year=``; this year when empty), checked."""
    raw = raw or str(today_in_beijing().year)
    try:
        year = int(raw)
    except ValueError:
        raise Invalid(N_("Choose a year from 2020 to this year."), fields={"year": raw}) from None
    return check_year(year)


def disclosure_report(session: Session, year: int, implementing_body: str) -> dict[str, Any]:
    """The disclosure of ``year`` built from the catalog now: the implementing body (the organization of
    slug ``implementing_body``) with the authorizations whose terms overlap the year and their caps,
    and one entry per authorized operator (authorized in the year, or with a product on offer in it)."""
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
    authorizations = authorizations_in(session, start.date(), (end - dt.timedelta(days=1)).date())
    by_slug = {o.slug: o for o in orgs.values()}
    operators: dict[str, dict[str, Any]] = {}

    def entry_of(org: Organization) -> dict[str, Any]:
        return operators.setdefault(
            org.slug,
            {
                "id": org.slug,
                "name": org.name,
                "name_en": org.name_en,
                "code": org.code,
                "address": org.address,
                "contact_phone": org.contact_phone,
                "website": org.website,
                "authorizations": [],
                "resources": {},
                "products": [],
                "requests": {
                    "received": received.get(saved_id(org), 0),
                    "approved": reached[R.APPROVED].get(saved_id(org), 0),
                    "delivered": reached[R.DELIVERED].get(saved_id(org), 0),
                },
            },
        )

    for a in authorizations:
        entry = entry_of(by_slug[a.operator.id])
        entry["authorizations"].append(a.id)
        for ref in a.datasets:
            department = ref.provider.name if ref.provider else ""
            entry["resources"][ref.id] = {"code": ref.id, "title": ref.title, "department": department}
    for p in products:
        org = orgs[p.provider_id]
        if org.kind != OrganizationKind.OPERATOR:
            continue
        entry = entry_of(org)
        for d in sources.get(saved_id(p), []):
            owner = orgs.get(d.provider_id)
            shown = is_public(d)  # a dataset that is not public shows its code only
            entry["resources"].setdefault(
                d.code,
                {
                    "code": d.code,
                    "title": d.title if shown else "",
                    "department": owner.name if owner and shown else "",
                },
            )
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
                "price_trial": p.price_trial,
                "licence": licence.name if licence else "",
            }
        )
    entries = sorted(operators.values(), key=lambda e: e["code"])
    for entry in entries:
        entry["resources"] = sorted(entry["resources"].values(), key=lambda r: r["code"])
    body = by_slug.get(implementing_body)
    return {
        "year": year,
        "implementing_body": {
            "id": body.slug if body else implementing_body,
            "name": body.name if body else "",
            "name_en": body.name_en if body else "",
            "code": body.code if body else "",
            "address": body.address if body else "",
            "contact_phone": body.contact_phone if body else "",
            "website": body.website if body else "",
        },
        "authorizations": [
            {
                "code": a.id,
                "agreement_ref": a.agreement_ref,
                "operator": a.operator.name,
                "operator_en": a.operator.name_en,
                "purpose": a.purpose,
                "purpose_en": a.purpose_en,
                "starts_on": a.starts_on.isoformat(),
                "ends_on": a.ends_on.isoformat(),
                "status": a.status,
                "datasets": [d.id for d in a.datasets],
                "caps": [
                    c.model_dump(mode="json")
                    for c in a.caps
                    if c.effective_from <= (end - dt.timedelta(days=1)).date()
                ],
            }
            for a in authorizations
        ],
        "operators": entries,
        "totals": {
            "authorizations": len(authorizations),
            "operators": len(entries),
            "resources": len({r["code"] for e in entries for r in e["resources"]}),
            "products": sum(len(e["products"]) for e in entries),
        },
    }


DUE_MONTH, DUE_DAY = 3, 31  # a year's disclosure is published by the end of March of the next


def disclosure(session: Session, year: int, implementing_body: str) -> dict[str, Any]:
    """A year's disclosure as the public reads it: as published (frozen), or as the catalog stands
    now while it is not yet published."""
    check_year(year)
    published = session.get(PublishedDisclosure, year)
    return {
        "year": year,
        "published": published is not None,
        "published_at": published.published_at.isoformat() if published else None,
        "due_by": dt.date(year + 1, DUE_MONTH, DUE_DAY).isoformat(),
        "report": published.report if published else disclosure_report(session, year, implementing_body),
    }


def published_years(session: Session) -> dict[int, dt.datetime]:
    """The years published so far, with when."""
    return {d.year: d.published_at for d in session.exec(select(PublishedDisclosure))}


def publish(session: Session, actor: Actor, year: int, implementing_body: str) -> dict[str, Any]:
    """An administrator publishes a past year's disclosure: frozen from now on (409 if it already is)."""
    require_write(actor)
    require(can_administer(actor), actor, "only administrators publish the disclosure")
    check_year(year)
    if year >= today_in_beijing().year:
        raise Invalid(N_("Only a year that has ended can be published."), fields={"year": str(year)})
    if session.get(PublishedDisclosure, year) is not None:
        raise InvalidTransition(
            f"the disclosure of {year} is published already, and stays as it was", allowed=[]
        )
    report = disclosure_report(session, year, implementing_body)
    session.add(PublishedDisclosure(year=year, published_by=actor.label, report=report))
    session.flush()
    audit.record(
        session,
        actor,
        "disclosure.publish",
        "disclosure",
        str(year),
        f"published the disclosure of {year}: {report['totals']}",
    )
    return disclosure(session, year, implementing_body)


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
    if product.get("price_trial"):
        text += "（试行）"
    return text


def disclosure_xlsx(report: dict[str, Any]) -> bytes:
    """The disclosure as a workbook: the implementing body's authorizations and caps, the operators,
    their authorized resources, and their products and services with fees."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)
    body = report.get("implementing_body", {})
    sheets = (
        (
            "授权信息",
            (
                "授权编号",
                "授权协议",
                "实施机构",
                "运营单位",
                "授权范围",
                "用途",
                "起始日期",
                "截止日期",
                "状态",
            ),
            [
                [
                    a["code"],
                    a["agreement_ref"],
                    body.get("name", ""),
                    a["operator"],
                    "；".join(a["datasets"]),
                    a["purpose"],
                    a["starts_on"],
                    a["ends_on"],
                    label("authorization_status", a["status"]),
                ]
                for a in report.get("authorizations", [])
            ],
        ),
        (
            "上限收费标准",
            ("授权编号", "运营单位", "计费单位", "上限", "单位", "生效日期", "定价文件"),
            [
                [
                    a["code"],
                    a["operator"],
                    label("price_model", c["price_model"]),
                    c["amount"],
                    c["unit"],
                    c["effective_from"],
                    c["document"],
                ]
                for a in report.get("authorizations", [])
                for c in a["caps"]
            ],
        ),
        (
            "运营单位",
            (
                "统一社会信用代码",
                "运营单位",
                "地址",
                "电话",
                "授权资源数",
                "产品和服务数",
                "收到申请",
                "批准",
                "交付",
            ),
            [
                [
                    e["code"],
                    e["name"],
                    e.get("address", ""),
                    e.get("contact_phone", ""),
                    len(e["resources"]),
                    len(e["products"]),
                    *e["requests"].values(),
                ]
                for e in report["operators"]
            ],
        ),
        (
            "授权资源",
            ("运营单位", "数据资源编码", "数据资源名称", "提供部门"),
            [
                [e["name"], r["code"], r["title"], r["department"]]
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
