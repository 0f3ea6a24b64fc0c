"""Home, the combined search page, health and the favicon."""

from __future__ import annotations

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from catalog.datasets import services as datasets
from catalog.listings.filters import DatasetFilters, ProductFilters
from catalog.portal.highlight import highlight, query_words
from catalog.products import services as products
from catalog.stats.services import catalog_stats
from catalog.web import actor_for, call, query_model, render

SEARCH_PREVIEW = 10


async def home(request: Request) -> Response:
    settings = request.app.state.settings
    stats = await call(request, catalog_stats, settings)
    newest = await call(request, products.newest_products, 6)
    return render(request, "portal/home.html", {"stats": stats, "newest": newest})


async def search(request: Request) -> Response:
    filters = query_model(request, ProductFilters, per_page=SEARCH_PREVIEW)
    actor = actor_for(request)
    product_keys = await request.app.state.search.ranked_keys(filters.q, "product")
    dataset_keys = await request.app.state.search.ranked_keys(filters.q, "dataset")
    product_page = dataset_page = None
    if product_keys is not None and dataset_keys is not None:
        product_page = await call(request, products.list_products, actor, filters, product_keys)
        dataset_page = await call(
            request,
            datasets.list_datasets,
            actor,
            DatasetFilters(q=filters.q, per_page=SEARCH_PREVIEW, page=filters.page),
            dataset_keys,
        )
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


async def healthz(request: Request) -> Response:
    engine = request.app.state.engine

    def database() -> dict:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "backend": engine.dialect.name}

    body: dict = {"status": "ok"}
    try:
        body["database"] = await run_in_threadpool(database)
    except Exception as exc:  # health must answer even when the database does not
        body["status"] = "error"
        body["database"] = {"status": "error", "message": str(exc)[:200]}
    try:
        body["index"] = await run_in_threadpool(request.app.state.indexer.status)
    except Exception as exc:
        body["status"] = "error"
        body["index"] = {"status": "error", "message": str(exc)[:200]}
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


async def favicon(request: Request) -> Response:
    return FileResponse(request.app.state.settings.static_dir / "favicon.ico", media_type="image/x-icon")


routes = [
    Route("/", home, name="portal.home"),
    Route("/search", search, name="portal.search"),
    Route("/healthz", healthz, name="portal.healthz"),
    Route("/favicon.ico", favicon, name="portal.favicon"),
]
