"""Dataset pages: browse the authorized-operation catalog, and one dataset."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.datasets import services
from catalog.listings.filters import DatasetFilters
from catalog.web import actor_for, call, query_model, render


async def browse(request: Request) -> Response:
    filters = query_model(request, DatasetFilters)
    page = await request.app.state.search.page("dataset", filters)
    return render(request, "datasets/list.html", {"page": page, "filters": filters})


async def detail(request: Request) -> Response:
    dataset = await call(request, services.get_dataset, actor_for(request), request.path_params["code"])
    return render(request, "datasets/detail.html", {"dataset": dataset})


routes = [
    Route("/datasets", browse, name="datasets.list"),
    Route("/datasets/{code}", detail, name="datasets.detail"),
]
