"""Administration pages: the targets dashboard (/admin), site settings, the pricing check and the
annual disclosure report. Handlers parse, call a service and render; the figures come from
``catalog.stats``."""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from catalog.admin.gate import admin_page, signed_in_page
from catalog.errors import CatalogError, Invalid
from catalog.permissions import Actor
from catalog.pricing import services as pricing
from catalog.site_settings import services as site
from catalog.stats import charts, disclosure
from catalog.stats.services import catalog_stats
from catalog.web import call, form_data, redirect_to, render


@admin_page
async def dashboard(request: Request, actor: Actor) -> Response:
    # this process's views not yet written would be missing from the figures: write them first
    await run_in_threadpool(request.app.state.views.flush, request.app.state.engine)
    settings = request.app.state.settings
    figures = await call(request, catalog_stats, settings)
    flags = await call(request, pricing.pricing_check, actor)
    deadline = dt.date.fromisoformat(figures["deadline"])
    lines = {
        kind: charts.line_chart(figures["trend"][kind], figures["projection"][kind], deadline)
        for kind in ("products", "datasets")
    }
    breakdowns = figures["breakdowns"]
    funnel = [{"step": step, "count": n} for step, n in figures["requests"]["funnel"].items()]
    bars = {
        "sector": charts.bar_widths(figures["by_sector"], "products"),
        "provider": charts.bar_widths(breakdowns["provider"], "products"),
        "product_type": charts.bar_widths(breakdowns["product_type"], "products"),
        "licence": charts.bar_widths(breakdowns["licence"], "products"),
        "funnel": charts.bar_widths(funnel, "count"),
    }
    context = {"f": figures, "lines": lines, "bars": bars, "funnel": funnel, "price_flags": len(flags)}
    return render(request, "admin/dashboard.html", context)


@admin_page
async def settings_page(request: Request, actor: Actor) -> Response:
    config = await call(request, site.site_config, request.app.state.settings)
    saved = request.query_params.get("saved") == "1"
    return render(request, "admin/settings.html", {"values": config.values(), "errors": {}, "saved": saved})


@admin_page
async def settings_save(request: Request, actor: Actor) -> Response:
    form = await form_data(request)
    try:
        await call(request, site.update_site_settings, actor, request.app.state.settings, form)
    except Invalid as exc:
        context = {"values": form, "errors": exc.fields, "message": exc.message, "saved": False}
        return render(request, "admin/settings.html", context, status=422)
    return redirect_to(request, "admin.settings", query={"saved": "1"})


@signed_in_page  # reviewers too: the service decides
async def pricing_page(request: Request, actor: Actor) -> Response:
    flags = await call(request, pricing.pricing_check, actor)
    return render(request, "admin/pricing.html", {"flags": flags})


@admin_page
async def disclosure_page(request: Request, actor: Actor) -> Response:
    """The public disclosure of a year, with the administrators' button that publishes it."""
    try:
        year = disclosure.parse_year(request.query_params.get("year"))
    except CatalogError as exc:
        context = {"d": None, "year": request.query_params.get("year", ""), "error": exc, "admin": True}
        return render(request, "disclosure/report.html", context, status=exc.status)
    return await _disclosure_page(request, year)


async def _disclosure_page(request: Request, year: int, error: CatalogError | None = None) -> Response:
    body = request.app.state.settings.implementing_body
    found = await call(request, disclosure.disclosure, year, body)
    years = disclosure.years()
    context = {"d": found, "year": year, "years": years, "error": error, "admin": True}
    return render(request, "disclosure/report.html", context, status=error.status if error else 200)


@admin_page
async def disclosure_publish(request: Request, actor: Actor) -> Response:
    year = request.path_params["year"]
    try:
        await call(request, disclosure.publish, actor, year, request.app.state.settings.implementing_body)
    except CatalogError as exc:
        return await _disclosure_page(request, year, exc)
    return redirect_to(request, "disclosure.year", year=year, query={"published": "1"})


@admin_page
async def disclosure_xlsx(request: Request, actor: Actor) -> Response:
    year = disclosure.parse_year(request.query_params.get("year"))
    return redirect_to(request, "disclosure.xlsx", year=year)


routes: list[BaseRoute] = [
    Route("/admin", dashboard, name="admin.dashboard"),
    Route("/admin/settings", settings_page, name="admin.settings"),
    Route("/admin/settings", settings_save, methods=["POST"], name="admin.settings.save"),
    Route("/admin/pricing", pricing_page, name="admin.pricing"),
    Route("/admin/reports/disclosure", disclosure_page, name="admin.disclosure"),
    Route("/admin/reports/disclosure.xlsx", disclosure_xlsx, name="admin.disclosure.xlsx"),
    Route(
        "/admin/reports/disclosure/{year:int}/publish",
        disclosure_publish,
        methods=["POST"],
        name="admin.disclosure.publish",
    ),
]
