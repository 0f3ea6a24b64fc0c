"""The administrators' dashboard and reports: the figures on /admin, in /api/v1/stats, in ``catalog
stats`` and in the exports agree with each other and with the database after listings and requests
change; site settings move the targets; views are counted without personal data; the pricing check
and the annual disclosure report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import Engine, func, inspect
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from catalog import db
from catalog.accounts.models import Organization, User
from catalog.app import create_app
from catalog.audit.models import AuditEvent
from catalog.cli import main
from catalog.datasets.models import Dataset
from catalog.products.models import DataProduct, ProductRevision
from catalog.requests.models import AccessRequest
from catalog.settings import Settings
from catalog.site_settings.models import SiteSetting
from catalog.stats.models import ViewCount
from tests.conftest import catalog_env, make_settings
from tests.factories import (
    ADMIN,
    BUYER,
    OWNER,
    PLAIN,
    REQUEST,
    bearer,
    count_high_quality,
    csrf,
    listed_product,
    make_user,
    sign_in,
)

BROWSER = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"}


@pytest.fixture
def app(seeded_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(seeded_settings.data_dir)), headers=BROWSER) as client:
        yield client


def counts(seeded_engine: Engine) -> dict[str, int]:
    """The figures counted straight from the database."""
    with Session(seeded_engine) as session:

        def n(model: type, *where: object) -> int:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()  # type: ignore[arg-type]

        return {
            "products.listed": n(DataProduct, DataProduct.status == "listed"),
            "datasets.listed": n(Dataset, Dataset.status == "listed"),
            "datasets.counted": count_high_quality(session),
            "products.pipeline.draft": n(DataProduct, DataProduct.status == "draft"),
            "products.pipeline.in_review": n(
                DataProduct, col(DataProduct.status).in_(("submitted", "in_review"))
            ),
            "products.pipeline.publicity": n(DataProduct, DataProduct.status == "publicity"),
            "requests.total": n(AccessRequest),
        }


def price_flags(html: str) -> dict[str, str]:
    """The pricing check's flags: product slug → rule."""
    found = re.findall(r'data-rule="(\w+)">\s*<th scope="row"><a href="/products/([\w-]+)"', html)
    return {slug: rule for rule, slug in found}


def dashboard_figures(html: str) -> dict[str, int]:
    found = dict(re.findall(r'data-figure="(\w+)">\s*<p class="stat-figure"><strong>(\d+)</strong>', html))
    return {f"{kind}.counted": int(value) for kind, value in found.items()}


@pytest.mark.both_backends
def test_the_figures_agree_everywhere_after_listings_and_requests_change(
    app: TestClient, seeded_engine: Engine, seeded_settings: Settings, tmp_path: object
) -> None:
    with Session(seeded_engine) as session:
        listed = listed_product(session)
    owner, buyer = bearer(seeded_engine, OWNER), bearer(seeded_engine, BUYER)
    before = app.get("/api/v1/stats").json()

    # a listed product is delisted and another is requested
    delist = {"to": "delisted", "reason": "数据源停止更新，暂停挂牌"}
    assert (
        app.post(f"/api/v1/products/{listed.slug}/transition", json=delist, headers=owner).status_code == 200
    )  # type: ignore[union-attr]
    with Session(seeded_engine) as session:
        other = session.exec(select(DataProduct).where(DataProduct.status == "listed")).first()
    request = {**REQUEST, "product_id": other.slug}  # type: ignore[union-attr]
    assert app.post("/api/v1/requests", json=request, headers=buyer).status_code == 201

    truth = counts(seeded_engine)
    api = app.get("/api/v1/stats").json()
    assert api["products"]["listed"] == truth["products.listed"] == before["products"]["listed"] - 1
    assert api["datasets"]["listed"] == truth["datasets.listed"]
    assert api["requests"]["total"] == truth["requests.total"] == before["requests"]["total"] + 1
    assert api["products"]["by_status"]["delisted"] == before["products"]["by_status"]["delisted"] + 1
    for step in ("draft", "in_review", "publicity"):
        assert api["pipeline"]["products"][step] == truth[f"products.pipeline.{step}"]
    assert api["trend"]["products"][-1]["total"] == truth["products.listed"]
    assert sum(row["listed"] for row in api["trend"]["products"]) == truth["products.listed"]
    assert sum(s["products"] for s in api["breakdowns"]["product_type"]) == truth["products.listed"]
    assert sum(s["products"] for s in api["breakdowns"]["licence"]) == truth["products.listed"]
    assert sum(s["products"] for s in api["breakdowns"]["provider"]) == truth["products.listed"]
    assert api["usage"]["most_requested"][0] == {"id": other.slug, "title": other.title, "requests": 1}  # type: ignore[union-attr]

    sign_in(app, ADMIN)
    page = app.get("/admin")
    assert page.status_code == 200
    assert dashboard_figures(page.text) == {  # what counts toward each target
        "products.counted": truth["products.listed"],
        "datasets.counted": truth["datasets.counted"],
    }
    assert api["datasets"]["counted"] == truth["datasets.counted"]
    exported = app.get("/admin/export/stats.csv").content.decode("utf-8-sig")
    values = dict(csv.reader(io.StringIO(exported)))
    assert int(values["products.listed"]) == truth["products.listed"]
    assert int(values["requests.total"]) == truth["requests.total"]
    month = api["trend"]["products"][-1]["month"]
    assert int(values[f"trend.products.{month}.total"]) == truth["products.listed"]

    env = catalog_env(seeded_settings)
    cli = CliRunner().invoke(main, ["stats", "--json"], env=env)
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.output)
    assert printed["products"] == api["products"] and printed["requests"] == api["requests"]
    text = CliRunner().invoke(main, ["stats"], env=env).output
    assert f"{truth['products.listed']} / 300" in text and "Projection" in text


def test_settings_move_the_targets_and_are_audited(app: TestClient, seeded_engine: Engine) -> None:
    sign_in(app, PLAIN)
    assert app.get("/admin/settings").status_code == 403
    assert app.get("/admin").status_code == 403
    app.post("/logout", data={"csrftoken": csrf(app, "/account")})
    sign_in(app, ADMIN)
    form = {
        "csrftoken": csrf(app, "/admin/settings"),
        "target_products": "400",
        "target_datasets": "60",
        "target_deadline": "2028-06-30",
        "price_cap_per_call": "2",
        "price_cap_subscription": "150000",
        "price_cap_one_time": "150000",
        "price_cap_per_volume": "500",
    }
    bad = app.post("/admin/settings", data={**form, "target_products": "lots", "target_deadline": "明年"})
    assert bad.status_code == 422
    assert "Enter a whole number" in bad.text or "请输入" in bad.text
    with Session(seeded_engine) as session:
        assert session.exec(select(SiteSetting)).all() == []  # nothing half-written
    saved = app.post("/admin/settings", data=form)
    assert saved.status_code == 200 and "saved=1" in str(saved.url)
    stats = app.get("/api/v1/stats").json()
    assert stats["products"]["target"] == 400 and stats["datasets"]["target"] == 60
    assert stats["deadline"] == "2028-06-30" and stats["projection"]["products"]["target"] == 400
    home = app.get("/")
    assert re.search(r"<strong>\d+</strong></a> / 400", home.text)
    assert "2028-06-30" in home.text
    with Session(seeded_engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "settings.update")).one()
    assert event.before["target_products"] == "300" and event.after["target_products"] == "400"  # type: ignore[index]
    assert "price_cap_subscription" not in event.after  # type: ignore[operator]  # unchanged: not recorded


@pytest.mark.both_backends
def test_views_are_counted_without_personal_data(app: TestClient, seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        product = session.exec(select(DataProduct).where(DataProduct.status == "listed")).first()
        draft = session.exec(select(DataProduct).where(DataProduct.status == "draft")).first()
        dataset = session.exec(select(Dataset).where(Dataset.status == "listed")).first()
    for address in ("203.0.113.7", "198.51.100.20", "2001:db8::1"):
        visitor = TestClient(app.app, client=(address, 50000))
        for browser in ("Mozilla/5.0 (Windows NT 10.0)", "Mozilla/5.0 (iPhone)"):  # a visitor's second look
            page = visitor.get(f"/products/{product.slug}", headers={"user-agent": browser})  # type: ignore[union-attr]
            assert page.status_code == 200  # the same day, whatever browser it names: no second view
    app.get(f"/datasets/{dataset.code}")  # type: ignore[union-attr]
    app.get(f"/products/{product.slug}", headers={"user-agent": "Mozilla/5.0 (compatible; Baiduspider/2.0)"})  # type: ignore[union-attr]
    app.get(f"/products/{draft.slug}")  # type: ignore[union-attr]  # not public: 404, no view
    app.app.state.views.flush(seeded_engine)  # type: ignore[attr-defined]
    with Session(seeded_engine) as session:
        rows = session.exec(select(ViewCount)).all()
    assert {(r.kind, r.key, r.views) for r in rows} == {
        ("product", product.slug, 3),
        ("dataset", dataset.code, 1),
    }  # type: ignore[union-attr]
    assert [c["name"] for c in inspect(seeded_engine).get_columns("view_count")] == [
        "kind",
        "key",
        "day",
        "views",
    ]
    app.get(f"/products/{product.slug}")  # type: ignore[union-attr]  # a fourth visitor
    app.app.state.views.flush(seeded_engine)  # type: ignore[attr-defined]  # adds to the stored count
    usage = app.get("/api/v1/stats").json()["usage"]
    assert usage["most_viewed"][0] == {
        "kind": "product",
        "id": product.slug,
        "title": product.title,
        "views": 4,
    }  # type: ignore[union-attr]
    assert usage["views"] == {"product": 4, "dataset": 1}


def test_the_pricing_check_flags_listings_out_of_line(app: TestClient, seeded_engine: Engine) -> None:
    with db.session_scope(seeded_engine) as session:
        listed = session.exec(
            select(DataProduct).where(DataProduct.status == "listed").order_by(DataProduct.id)
        ).all()
        welfare, pricey, fine = listed[0], listed[1], listed[2]
        welfare.use_category, welfare.price_model, welfare.price, welfare.price_unit = (
            "public_welfare", "per_call", Decimal("0.5"), "元/次",
        )  # fmt: skip
        pricey.use_category, pricey.price_model, pricey.price, pricey.price_unit = (
            "industry", "subscription", Decimal("150001"), "元/年",
        )  # fmt: skip
        fine.use_category, fine.price_model, fine.price, fine.price_unit = (
            "public_governance",
            "free",
            None,
            "",
        )
        slugs = welfare.slug, pricey.slug, fine.slug
    sign_in(app, ADMIN)
    page = app.get("/admin/pricing?lang=en")
    assert page.status_code == 200
    flagged = price_flags(page.text)
    assert flagged[slugs[0]] == "not_free" and flagged[slugs[1]] == "over_cap"
    assert slugs[2] not in flagged
    # a higher cap from today, under the authorization the product is operated under, puts it in line
    code = app.get(f"/api/v1/products/{slugs[1]}").json()["authorization"]["authorizations"][0]
    form = {
        "csrftoken": csrf(app, "/admin/settings"),
        **{"price_model": "subscription", "amount": "200000", "effective_from": dt.date.today().isoformat()},
    }
    assert (
        app.post(f"/admin/authorizations/{code}/caps", data=form, follow_redirects=False).status_code == 303
    )
    again = app.get("/admin/pricing")
    assert f'href="/products/{slugs[1]}"' not in again.text and f'href="/products/{slugs[0]}"' in again.text
    product = app.get(f"/api/v1/products/{slugs[1]}").json()
    assert product["price_cap"]["amount"] == 200000 and product["price_cap"]["authorization"] == code


@pytest.mark.both_backends
def test_the_annual_disclosure_report(app: TestClient, seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        year = max(
            p.listed_at.year for p in session.exec(select(DataProduct).where(DataProduct.status == "listed"))
        )  # type: ignore[union-attr]
        start, end = dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
        operators = session.exec(select(Organization).where(Organization.kind == "operator")).all()
        on_offer = session.exec(
            select(DataProduct).where(
                col(DataProduct.provider_id).in_([o.id for o in operators]),
                col(DataProduct.status).in_(("listed", "delisted")),  # the seed's were delisted this year
                DataProduct.listed_at < end,  # type: ignore[operator]
            )
        ).all()
    sign_in(app, PLAIN)
    assert app.get(f"/admin/reports/disclosure?year={year}").status_code == 403
    app.post("/logout", data={"csrftoken": csrf(app, "/account")})
    sign_in(app, ADMIN)
    page = app.get(f"/admin/reports/disclosure?year={year}")
    assert page.status_code == 200
    assert all(p.title in page.text for p in on_offer)
    assert app.get("/admin/reports/disclosure?year=1999").status_code == 422
    assert app.get("/admin/reports/disclosure?year=twenty").status_code == 422
    answer = app.get(f"/admin/reports/disclosure.xlsx?year={year}")
    assert answer.status_code == 200 and answer.headers["content-disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames == ["授权信息", "上限收费标准", "运营单位", "授权资源", "产品和服务及收费"]
    products = list(book["产品和服务及收费"].iter_rows(min_row=3, values_only=True))
    book.close()
    assert sorted(r[2] for r in products) == sorted(p.title for p in on_offer)
    assert start.year == year


def test_the_dashboard_is_for_administrators_and_draws_its_numbers(
    app: TestClient, seeded_engine: Engine
) -> None:
    assert app.get("/admin", follow_redirects=False).status_code == 303
    sign_in(app, ADMIN)
    page = app.get("/admin?lang=en").text
    charts = re.findall(r'<svg class="chart"[^>]*role="img" aria-labelledby="([\w-]+)-t \1-d"', page)
    assert charts == ["chart-products", "chart-datasets"]
    assert re.search(r'<desc id="chart-products-d">Listed data products: \d+ in \d{4}-\d\d, \d+ in', page)
    assert "projection-line" in page  # the seed's products are short of the target: the pace shows
    assert '<a href="/admin/pricing">' in page and "Listing pipeline" in page


def test_a_read_token_may_look_but_not_change(app: TestClient, seeded_engine: Engine) -> None:
    read = bearer(seeded_engine, ADMIN, scope="read")
    assert app.get("/admin", headers=read).status_code == 200
    assert app.get("/admin", headers=read).headers["cache-control"] == "private, no-store"
    settings = {"target_products": "999", "target_datasets": "50", "target_deadline": "2027-12-31"}
    settings |= {"price_cap_per_call": "1.5", "price_cap_subscription": "1", "price_cap_one_time": "1"}
    assert app.post("/admin/settings", data=settings, headers=read).status_code == 403
    with Session(seeded_engine) as session:
        clerk = session.exec(select(User).where(User.email == PLAIN)).one()
    answer = app.post(f"/admin/users/{clerk.id}/roles", data={"admin": "1"}, headers=read)
    assert answer.status_code == 403
    with Session(seeded_engine) as session:
        assert session.exec(select(SiteSetting)).all() == []
        assert not session.get(User, clerk.id).is_admin  # type: ignore[union-attr]


@pytest.mark.both_backends
def test_the_last_administrator_stays(seeded_settings: Settings, seeded_engine: Engine) -> None:
    env = catalog_env(seeded_settings)
    refused = CliRunner().invoke(main, ["user", "roles", ADMIN, "--no-admin"], env=env)
    assert refused.exit_code != 0 and "at least one active administrator" in refused.output
    make_user(seeded_engine, "deputy@sjj.cn", admin=True)
    done = CliRunner().invoke(main, ["user", "roles", ADMIN, "--no-admin"], env=env)
    assert done.exit_code == 0, done.output


def test_prices_are_compared_in_the_cap_s_unit_and_new_versions_are_checked(
    app: TestClient, seeded_engine: Engine
) -> None:
    with db.session_scope(seeded_engine) as session:
        listed = session.exec(
            select(DataProduct)
            .where(DataProduct.status == "listed", DataProduct.use_category == "industry")
            .order_by(DataProduct.id)
        ).all()
        monthly, thousand, odd, revised = listed[0], listed[1], listed[2], listed[3]
        monthly.price_model, monthly.price, monthly.price_unit = "subscription", Decimal(100000), "元/月"
        thousand.price_model, thousand.price, thousand.price_unit = "per_call", Decimal(1000), "元/千次"
        odd.price_model, odd.price, odd.price_unit = "per_call", Decimal("0.5"), "元/桶"
        revised.price_model, revised.price, revised.price_unit = "one_time", Decimal(100), "元/份"
        data = {
            "price_model": "one_time",
            "price": "900000",
            "price_unit": "元/份",
            "use_category": "industry",
        }
        session.add(
            ProductRevision(
                product_id=revised.id, base_version=revised.version, data=data, status="submitted"
            )
        )  # type: ignore[arg-type]
        slugs = [p.slug for p in (monthly, thousand, odd, revised)]
    sign_in(app, ADMIN)
    page = app.get("/admin/pricing").text
    flagged = price_flags(page)
    assert flagged[slugs[0]] == "over_cap"  # 1.2 million a year
    assert slugs[1] not in flagged  # 1 yuan a call
    assert flagged[slugs[2]] == "unit_unknown"
    assert flagged[slugs[3]] == "over_cap"  # the new version's price, before it is public
