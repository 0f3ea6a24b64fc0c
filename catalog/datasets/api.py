"""JSON API v1 for datasets (reads; writes come with the listing workflow)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.datasets import services
from catalog.listings.filters import DatasetFilters
from catalog.web import actor_for, call, json_response, query_model


async def list_datasets(request: Request) -> Response:
    filters = query_model(request, DatasetFilters)
    return json_response(await request.app.state.search.page("dataset", filters))


async def get_dataset(request: Request) -> Response:
    return json_response(
        await call(request, services.get_dataset, actor_for(request), request.path_params["code"])
    )


routes = [
    Route("/api/v1/datasets", list_datasets, name="api.datasets.list"),
    Route("/api/v1/datasets/{code}", get_dataset, name="api.datasets.detail"),
]
