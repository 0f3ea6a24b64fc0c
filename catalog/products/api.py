"""JSON API v1 for products (reads; writes come with the listing workflow)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.listings.filters import ProductFilters
from catalog.products import services
from catalog.web import actor_for, call, json_response, query_model


async def list_products(request: Request) -> Response:
    filters = query_model(request, ProductFilters)
    return json_response(await request.app.state.search.page("product", filters))


async def get_product(request: Request) -> Response:
    return json_response(
        await call(request, services.get_product, actor_for(request), request.path_params["slug"])
    )


routes = [
    Route("/api/v1/products", list_products, name="api.products.list"),
    Route("/api/v1/products/{slug}", get_product, name="api.products.detail"),
]
