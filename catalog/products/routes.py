"""Product pages: browse with filters, and one product."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.listings.filters import ProductFilters
from catalog.products import services
from catalog.web import actor_for, call, query_model, render


async def browse(request: Request) -> Response:
    filters = query_model(request, ProductFilters)
    page = await request.app.state.search.page("product", filters)
    return render(request, "products/list.html", {"page": page, "filters": filters})


async def detail(request: Request) -> Response:
    product = await call(request, services.get_product, actor_for(request), request.path_params["slug"])
    return render(request, "products/detail.html", {"product": product})


async def request_access(request: Request) -> Response:
    product = await call(request, services.get_product, actor_for(request), request.path_params["slug"])
    return render(request, "products/request.html", {"product": product})


routes = [
    Route("/products", browse, name="products.list"),
    Route("/products/{slug}", detail, name="products.detail"),
    Route("/products/{slug}/request", request_access, name="products.request"),
]
