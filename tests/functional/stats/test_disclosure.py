"""The public disclosure per the 2026 notice: without signing in, a year's implementing body with its
authorizations and caps, and each operator's resources, products with actual fees and requests, as
a page, XLSX and JSON; an administrator publishes a past year, which is then frozen whatever the
catalog becomes. Each test has its own copy of the seeded catalog."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from catalog import db
from catalog.audit.models import AuditEvent
from catalog.authorizations.queries import today
from catalog.products.models import DataProduct
from tests.factories import ADMIN, OWNER, csrf, signed_in

YEAR = 2025  # a past year: the seed's first listings and authorizations


def test_a_years_disclosure_is_public_as_a_page_xlsx_and_json(web: TestClient) -> None:
    found = web.get(f"/api/v1/disclosure/{YEAR}").json()
    assert (found["year"], found["published"], found["due_by"]) == (YEAR, False, f"{YEAR + 1}-03-31")
    report = found["report"]
    assert report["implementing_body"]["name"] == "淮安市数据局"
    codes = {a["code"]: a for a in report["authorizations"]}
    assert "HADP-SQ-2025-001" in codes and "HADP-SQ-2024-001" in codes  # begun before, still running
    assert {c["price_model"] for c in codes["HADP-SQ-2025-001"]["caps"]} >= {"per_call", "subscription"}
    operators = {e["id"]: e for e in report["operators"]}
    sjgyy = operators["sjgyy"]
    assert sjgyy["authorizations"] == ["HADP-SQ-2025-001"] and {"address", "contact_phone", "website"} <= set(
        sjgyy
    )
    assert {r["code"] for r in sjgyy["resources"]} >= set(codes["HADP-SQ-2025-001"]["datasets"])
    assert all("price_model" in p and "price_trial" in p for p in sjgyy["products"])
    assert set(sjgyy["requests"]) == {"received", "approved", "delivered"}
    page = web.get(f"/disclosure/{YEAR}")
    assert page.status_code == 200 and "淮安市数据局" in page.text and "尚未公开" in page.text
    assert "HADP-SQ-2025-001" in page.text
    book = load_workbook(io.BytesIO(web.get(f"/disclosure/{YEAR}.xlsx").content), read_only=True)
    rows = list(book["授权信息"].iter_rows(min_row=3, values_only=True))
    book.close()
    assert {r[0] for r in rows} == set(codes)
    assert web.get("/disclosure/1999").status_code == 422
    assert web.get("/api/v1/disclosure/2999").json()["error"]["code"] == "invalid"
    assert "/disclosure/2025" in web.get("/disclosure").text


def test_a_published_year_stays_as_published_after_the_catalog_changes(
    web: TestClient, seeded_engine: Engine
) -> None:
    owner = signed_in(web, OWNER)
    refused = owner.post(
        f"/admin/reports/disclosure/{YEAR}/publish", data={"csrftoken": csrf(owner, "/account")}
    )
    assert refused.status_code == 403
    admin = signed_in(web, ADMIN)
    published = admin.post(
        f"/admin/reports/disclosure/{YEAR}/publish",
        data={"csrftoken": csrf(admin, "/account")},
        follow_redirects=False,
    )
    assert published.status_code == 303
    frozen = web.get(f"/api/v1/disclosure/{YEAR}").json()
    assert frozen["published"] and frozen["published_at"]
    product = frozen["report"]["operators"][0]["products"][0]
    with db.session_scope(seeded_engine) as session:
        row = session.exec(select(DataProduct).where(DataProduct.slug == product["id"])).one()
        row.title = "改名后的产品"
    after = web.get(f"/api/v1/disclosure/{YEAR}").json()
    assert after == frozen  # the published year is what it was
    live = web.get(f"/api/v1/disclosure/{YEAR + 1}").json()  # a year not yet published follows the catalog
    titles = {p["title"] for e in live["report"]["operators"] for p in e["products"]}
    assert "改名后的产品" in titles
    again = admin.post(
        f"/admin/reports/disclosure/{YEAR}/publish", data={"csrftoken": csrf(admin, "/account")}
    )
    assert again.status_code == 409
    this_year = today().year  # it has not ended in Beijing: nothing to publish yet
    current = admin.post(
        f"/admin/reports/disclosure/{this_year}/publish", data={"csrftoken": csrf(admin, "/account")}
    )
    assert current.status_code == 422
    with Session(seeded_engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "disclosure.publish")).all()
        assert [e.target_id for e in events] == [str(YEAR)]
    assert "已于" in web.get(f"/disclosure/{YEAR}").text
