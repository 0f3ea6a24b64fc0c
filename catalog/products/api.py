"""JSON API v1 for products: reads, and writes with a token (drafts, edits, lifecycle transitions)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.listings.filters import ProductFilters
from catalog.listings.services import TransitionRequest
from catalog.permissions import require_write
from catalog.products import revisions, samples, services
from catalog.products.models import ProductCreate
from catalog.validation import parse
from catalog.web import (
    LIFECYCLE_FIELDS,
    actor_for,
    call,
    json_body,
    json_object,
    json_response,
    query_model,
    read_upload,
)

IDEMPOTENCY_KEY = "idempotency-key"


async def list_products(request: Request) -> Response:
    if request.method == "POST":
        return await create_product(request)
    filters = query_model(request, ProductFilters)
    return json_response(await request.app.state.search.page("product", filters))


async def create_product(request: Request) -> Response:
    """A new draft; the same ``Idempotency-Key`` gives back the same draft (200 instead of 201)."""
    actor = actor_for(request)
    require_write(actor)
    data = parse(ProductCreate, await json_object(request, "product", without=LIFECYCLE_FIELDS))
    key = request.headers.get(IDEMPOTENCY_KEY, "").strip()[:100] or None
    product, created = await call(request, services.create_draft, actor, data, key)
    return json_response(product, status=201 if created else 200)


async def edit_product(request: Request) -> Response:
    actor = actor_for(request)
    require_write(actor)
    body = await json_object(request, "changes")
    what, result = await call(request, revisions.edit, actor, request.path_params["slug"], body)
    # a listed product is not changed yet: its new version waits for a reviewer (202)
    return (
        json_response({"revision": result.model_dump(mode="json")}, status=202)
        if what == "revision"
        else json_response(result)
    )


async def version(request: Request) -> Response:
    """``GET`` a listed product's new version in the works; ``POST {"to", "reason", …}`` moves it."""
    actor = actor_for(request)
    slug = request.path_params["slug"]
    if request.method == "GET":
        await call(request, services.get_product, actor, slug)  # 404 for a product the caller cannot see
        found = await call(request, revisions.pending, actor, slug)
        return json_response({"revision": found.model_dump(mode="json") if found else None})
    require_write(actor)
    data = parse(TransitionRequest, await json_body(request) or {})
    moved = await call(
        request, revisions.revision_transition, actor, slug, data.to, data.reason, data.checklist
    )
    return json_response({"revision": moved.model_dump(mode="json")})


async def get_product(request: Request) -> Response:
    if request.method == "PATCH":
        return await edit_product(request)
    return json_response(
        await call(request, services.get_product, actor_for(request), request.path_params["slug"])
    )


async def sample(request: Request) -> Response:
    """A draft's sample as multipart field ``sample`` (CSV or XLSX) → the inferred schema and preview."""
    actor = actor_for(request)
    require_write(actor)
    settings = request.app.state.settings
    limit = settings.max_upload_kb * 1024
    name, content = await read_upload(request, "sample", limit)
    slug = request.path_params["slug"]
    return json_response(
        await call(request, samples.attach_sample, actor, settings.uploads_dir, slug, name, content, limit)
    )


routes = [
    Route("/api/v1/products/{slug}/sample", sample, methods=["POST"], name="api.products.sample"),
    Route("/api/v1/products", list_products, methods=["GET", "POST"], name="api.products.list"),
    Route("/api/v1/products/{slug}", get_product, methods=["GET", "PATCH"], name="api.products.detail"),
    Route("/api/v1/products/{slug}/version", version, methods=["GET", "POST"], name="api.products.version"),
]
