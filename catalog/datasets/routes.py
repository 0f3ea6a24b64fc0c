"""Dataset pages: browse the authorized-operation catalog, one dataset, and the owner's form."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.datasets import forms, services
from catalog.datasets.models import DatasetCreate
from catalog.errors import CatalogError
from catalog.interop import schemaorg
from catalog.listings import forms as shared_forms
from catalog.listings.filters import DatasetFilters
from catalog.permissions import Actor
from catalog.stats.views import count_view
from catalog.validation import parse
from catalog.web import (
    actor_for,
    call,
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
    jsonld = await call(request, schemaorg.dataset_jsonld, dataset, request.app.state.settings.base_url)
    return render(request, "datasets/detail.html", {"dataset": dataset, "jsonld": jsonld})


routes = [
    Route("/datasets", browse, name="datasets.list"),
    Route("/datasets/{code}", detail, name="datasets.detail"),
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
