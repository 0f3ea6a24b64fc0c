"""Home, the combined search page, health and the favicon."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from catalog.errors import BadRequest
from catalog.listings.filters import DatasetFilters, ProductFilters
from catalog.pagination import Page
from catalog.portal.highlight import highlight, query_words
from catalog.products import services as products
from catalog.stats.services import catalog_stats
from catalog.web import call, json_response, query_model, render

SEARCH_PREVIEW = 10


async def home(request: Request) -> Response:
    settings = request.app.state.settings
    stats = await call(request, catalog_stats, settings, detail=False)
    newest = await call(request, products.newest_products, 6)
    return render(request, "portal/home.html", {"stats": stats, "newest": newest})


async def _search_both(
    request: Request, facets: bool, **overrides: int
) -> tuple[ProductFilters, Page[Any] | None, Page[Any] | None]:
    """The product and dataset pages of one query (None for both when there is no query)."""
    filters = query_model(request, ProductFilters, **overrides)
    if not filters.q.strip():
        return filters, None, None
    dataset_filters = query_model(request, DatasetFilters, **overrides)  # the filters datasets have
    search = request.app.state.search
    product_page = await search.page("product", filters, facets=facets)
    dataset_page = await search.page("dataset", dataset_filters, facets=facets)
    return filters, product_page, dataset_page


async def search(request: Request) -> Response:
    filters, product_page, dataset_page = await _search_both(request, facets=False, per_page=SEARCH_PREVIEW)
    words = query_words(filters.q)
    return render(
        request,
        "portal/search.html",
        {
            "filters": filters,
            "products": product_page,
            "datasets": dataset_page,
            "mark": lambda value, limit=None: highlight(value or "", words, limit),
        },
    )


async def api_search(request: Request) -> Response:
    """Both catalogs at once: ``{"query", "products": <list>, "datasets": <list>}``."""
    filters, product_page, dataset_page = await _search_both(request, facets=True)
    if product_page is None:
        raise BadRequest("the search needs a query: ?q=…")
    assert dataset_page is not None
    return json_response(
        {
            "query": filters.q,
            "products": product_page.model_dump(mode="json"),
            "datasets": dataset_page.model_dump(mode="json"),
        }
    )


async def healthz(request: Request) -> Response:
    """200 while the service answers: ``status`` is ``ok``, or ``degraded`` while the search index is
    rebuilt (searches come from the database meanwhile) or cannot be; 503 when the database fails."""
    engine = request.app.state.engine

    def database() -> dict[str, str]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "backend": engine.dialect.name}

    body: dict[str, Any] = {"status": "ok"}
    try:
        body["database"] = await run_in_threadpool(database)
    except Exception as exc:  # health must answer even when the database does not
        body["status"] = "error"
        body["database"] = {"status": "error", "message": str(exc)[:200]}
    try:
        body["index"] = await run_in_threadpool(request.app.state.indexer.status)
    except Exception as exc:
        body["index"] = {"status": "error", "message": str(exc)[:200]}
    if body["index"]["status"] != "ok" and body["status"] == "ok":
        body["status"] = "degraded"
    return JSONResponse(body, status_code=503 if body["status"] == "error" else 200)


async def favicon(request: Request) -> Response:
    return FileResponse(request.app.state.settings.static_dir / "favicon.ico", media_type="image/x-icon")


routes = [
    Route("/", home, name="portal.home"),
    Route("/search", search, name="portal.search"),
    Route("/api/v1/search", api_search, name="api.search"),
    Route("/healthz", healthz, name="portal.healthz"),
    Route("/favicon.ico", favicon, name="portal.favicon"),
]
