"""Dataset pages: browse the authorized-operation catalog, one dataset, and the owner's form."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.datasets import assessments, forms, services
from catalog.datasets.models import AssessmentCreate, DatasetCreate
from catalog.errors import CatalogError, Invalid
from catalog.interop import schemaorg
from catalog.listings import forms as shared_forms
from catalog.listings.filters import DatasetFilters
from catalog.permissions import Actor
from catalog.stats.views import count_view
from catalog.validation import parse
from catalog.web import (
    actor_for,
    call,
    form_data,
    form_lists,
    query_model,
    redirect_to,
    render,
    signed_in,
)


async def browse(request: Request) -> Response:
    filters = query_model(request, DatasetFilters)
    page = await request.app.state.search.page("dataset", filters)
    return render(request, "datasets/list.html", {"page": page, "filters": filters})


async def detail(request: Request) -> Response:
    dataset = await call(request, services.get_dataset, actor_for(request), request.path_params["code"])
    count_view(request, "dataset", dataset.id, dataset.status)
    return await _detail_page(request, dataset)


async def _detail_page(
    request: Request, dataset: Any, values: dict[str, str] | None = None, error: CatalogError | None = None
) -> Response:
    jsonld = await call(request, schemaorg.dataset_jsonld, dataset, request.app.state.settings.base_url)
    context = {
        "dataset": dataset,
        "jsonld": jsonld,
        "dimensions": assessments.DIMENSIONS,
        "values": values or {},
        "errors": error.fields if isinstance(error, Invalid) else {},
        "message": error.message if error else None,
    }
    return render(request, "datasets/detail.html", context, status=error.status if error else 200)


@signed_in
async def assess(request: Request, actor: Actor) -> Response:
    """A reviewer records a quality assessment from the dataset's page."""
    code = request.path_params["code"]
    form = {k: v.strip() for k, v in (await form_data(request)).items() if k != "csrftoken"}
    try:
        data = parse(AssessmentCreate, {k: v for k, v in form.items() if v})
        await call(request, assessments.record_assessment, actor, code, data)
    except CatalogError as error:
        dataset = await call(request, services.get_dataset, actor, code)
        return await _detail_page(request, dataset, form, error)
    return redirect_to(request, "datasets.detail", code=code, query={"assessed": "1"}, fragment="assessment")


routes = [
    Route("/datasets", browse, name="datasets.list"),
    Route("/datasets/{code}", detail, name="datasets.detail"),
    Route("/datasets/{code}/assessment", assess, methods=["POST"], name="datasets.assess"),
]


# --- the owner's dataset form ----------------------------------------------------------------------
async def _form_page(
    request: Request, values: dict[str, Any], code: str | None, error: CatalogError | None = None
) -> Response:
    return await shared_forms.page(request, "dataset", forms.FORM, values, code, error)


@signed_in
async def new_dataset(request: Request, actor: Actor) -> Response:
    if request.method == "GET":
        return await _form_page(request, forms.FORM.to_form({}), None)
    data = forms.FORM.to_input(await form_lists(request))
    try:
        dataset = await call(request, services.create_dataset_draft, actor, parse(DatasetCreate, data))
    except CatalogError as error:
        return await _form_page(request, forms.FORM.to_form(data), None, error)
    return redirect_to(request, "owner.item", kinds="datasets", key=dataset.id)


@signed_in
async def edit_dataset(request: Request, actor: Actor) -> Response:
    code = request.path_params["code"]
    if request.method == "GET":
        return await _form_page(
            request, forms.FORM.to_form(await call(request, services.dataset_input, actor, code)), code
        )
    data = forms.FORM.to_input(await form_lists(request))
    try:
        await call(request, services.update_dataset_draft, actor, code, data)
    except CatalogError as error:
        return await _form_page(request, forms.FORM.to_form(data), code, error)
    return redirect_to(request, "owner.item", kinds="datasets", key=code)


routes = [
    Route("/owner/datasets/new", new_dataset, methods=["GET", "POST"], name="owner.datasets.new"),
    Route("/owner/datasets/{code}/edit", edit_dataset, methods=["GET", "POST"], name="owner.datasets.edit"),
    *routes,
]
