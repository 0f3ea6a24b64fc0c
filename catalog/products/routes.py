"""Product pages: browse with filters, one product, and the owner's form to create and edit one."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.errors import CatalogError
from catalog.interop import datapackage, schemaorg
from catalog.listings import forms as shared_forms
from catalog.listings.filters import ProductFilters
from catalog.permissions import Actor
from catalog.products import forms, revisions, samples, services
from catalog.products.models import ProductCreate
from catalog.requests import follows
from catalog.stats.views import count_view
from catalog.validation import parse
from catalog.web import (
    actor_for,
    call,
    form_lists,
    query_model,
    read_upload,
    redirect_to,
    render,
    signed_in,
)


async def browse(request: Request) -> Response:
    filters = query_model(request, ProductFilters)
    page = await request.app.state.search.page("product", filters)
    return render(request, "products/list.html", {"page": page, "filters": filters})


async def detail(request: Request) -> Response:
    actor = actor_for(request)
    product = await call(request, services.get_product, actor, request.path_params["slug"])
    quality = await call(request, services.product_quality, actor, request.path_params["slug"])
    following = await call(request, follows.follows, actor, product=request.path_params["slug"])
    context = {
        "product": product,
        "quality": quality,
        "following": following,
        "jsonld": schemaorg.product_jsonld(product, request.app.state.settings.base_url),
        "has_package": datapackage.has_package(product),
    }
    count_view(request, "product", product.id, product.status)
    return render(request, "products/detail.html", context)


async def _form_page(
    request: Request,
    values: dict[str, Any],
    slug: str | None,
    error: CatalogError | None = None,
    versioning: bool = False,
) -> Response:
    actor = actor_for(request)
    return await shared_forms.page(
        request,
        "product",
        forms.FORM,
        values,
        slug,
        error,
        own_fields=("change_summary", "sample"),
        versioning=versioning,  # a listed product: saving makes a new version for review
        # while editing: the saved version's score and what would raise it
        quality=await call(request, services.product_quality, actor, slug) if slug else None,
    )


@signed_in
async def new_product(request: Request, actor: Actor) -> Response:
    if request.method == "GET":
        return await _form_page(request, forms.FORM.to_form({"usage_term_months": 12}), None)
    submitted = await form_lists(request)
    data = forms.FORM.to_input(submitted)
    try:
        product, _ = await call(request, services.create_draft, actor, parse(ProductCreate, data))
    except CatalogError as error:
        return await _form_page(request, forms.FORM.to_form(data), None, error)
    return redirect_to(request, "owner.item", kinds="products", key=product.id)


@signed_in
async def edit_product(request: Request, actor: Actor) -> Response:
    slug = request.path_params["slug"]
    current, versioning = await call(request, revisions.edit_input, actor, slug)
    if request.method == "GET":
        values = {**forms.FORM.to_form(current), "change_summary": current.get("change_summary", "")}
        return await _form_page(request, values, slug, versioning=versioning)
    submitted = await form_lists(request)
    data = forms.FORM.to_input(submitted)
    if versioning:
        data["change_summary"] = (submitted.get("change_summary") or [""])[0]
    try:
        await call(request, revisions.edit, actor, slug, data)
    except CatalogError as error:
        values = {**forms.FORM.to_form(data), "change_summary": data.get("change_summary", "")}
        return await _form_page(request, values, slug, error, versioning=versioning)
    return redirect_to(request, "owner.item", kinds="products", key=slug)


@signed_in
async def upload_sample(request: Request, actor: Actor) -> Response:
    """The sample file of a draft, from the edit page (the field schema is inferred from it)."""
    slug = request.path_params["slug"]
    settings = request.app.state.settings
    try:
        name, content = await read_upload(request, "sample", settings.max_upload_kb * 1024)
        await call(
            request,
            samples.attach_sample,
            actor,
            settings.uploads_dir,
            slug,
            name,
            content,
            settings.max_upload_kb * 1024,
        )
    except CatalogError as error:
        current, versioning = await call(request, revisions.edit_input, actor, slug)
        return await _form_page(request, forms.FORM.to_form(current), slug, error, versioning=versioning)
    return redirect_to(request, "owner.products.edit", slug=slug, query={"sample": "1"})


routes = [
    Route("/owner/products/{slug}/sample", upload_sample, methods=["POST"], name="owner.products.sample"),
    Route("/owner/products/new", new_product, methods=["GET", "POST"], name="owner.products.new"),
    Route("/owner/products/{slug}/edit", edit_product, methods=["GET", "POST"], name="owner.products.edit"),
    Route("/products", browse, name="products.list"),
    Route("/products/{slug}", detail, name="products.detail"),
]
