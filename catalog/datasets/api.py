"""JSON API v1 for datasets: reads, and drafts and their edits with a write token."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.datasets import assessments, services
from catalog.datasets.models import AssessmentCreate, DatasetCreate
from catalog.listings.filters import DatasetFilters
from catalog.permissions import require_write
from catalog.validation import parse
from catalog.web import LIFECYCLE_FIELDS, actor_for, call, json_object, json_response, query_model


async def _body(request: Request) -> dict[str, Any]:
    require_write(actor_for(request))
    return await json_object(request, "dataset", without=LIFECYCLE_FIELDS)


async def list_datasets(request: Request) -> Response:
    if request.method == "POST":
        data = parse(DatasetCreate, await _body(request))
        return json_response(
            await call(request, services.create_dataset_draft, actor_for(request), data), status=201
        )
    filters = query_model(request, DatasetFilters)
    return json_response(await request.app.state.search.page("dataset", filters))


async def get_dataset(request: Request) -> Response:
    if request.method == "PATCH":
        changes = await _body(request)
        code = request.path_params["code"]
        return json_response(
            await call(request, services.update_dataset_draft, actor_for(request), code, changes)
        )
    return json_response(
        await call(request, services.get_dataset, actor_for(request), request.path_params["code"])
    )


async def assess(request: Request) -> Response:
    require_write(actor_for(request))
    data = parse(AssessmentCreate, await json_object(request, "assessment", without=("dataset",)))
    code = request.path_params["code"]
    return json_response(
        await call(request, assessments.record_assessment, actor_for(request), code, data), status=201
    )


routes = [
    Route("/api/v1/datasets", list_datasets, methods=["GET", "POST"], name="api.datasets.list"),
    Route("/api/v1/datasets/{code}", get_dataset, methods=["GET", "PATCH"], name="api.datasets.detail"),
    Route("/api/v1/datasets/{code}/assessments", assess, methods=["POST"], name="api.datasets.assess"),
]
