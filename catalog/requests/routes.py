"""Access-request pages: the request form on a listed product, "my requests", the owner's
"incoming requests", and one request with its timeline, thread, delivery and next steps."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from catalog.errors import CatalogError, Forbidden, Invalid
from catalog.i18n import N_
from catalog.permissions import Actor
from catalog.products import services as products
from catalog.requests import follows, services, workflow
from catalog.validation import parse
from catalog.web import (
    actor_for,
    call,
    form_and_file,
    form_lists,
    redirect_to,
    render,
    route_name,
    sign_in_url,
    signed_in,
)

MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LABELS = {
    "state_labels": workflow.STATE_LABELS,
    "delivery_labels": workflow.DELIVERY_LABELS,
    "step_labels": workflow.STEP_LABELS,
}


def _first(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0]


async def request_form(request: Request) -> Response:
    actor = actor_for(request)
    slug = request.path_params["slug"]
    product = await call(request, products.get_product, actor, slug)
    context: dict[str, Any] = {
        "product": product,
        "values": {"term_months": "12"},
        "errors": {},
        "message": None,
    }
    if actor.user_id is None:
        return render(request, "requests/form.html", {**context, "sign_in": sign_in_url(request)})
    organizations, contact = await call(request, services.requester_defaults, actor)
    context["organizations"] = organizations
    if request.method == "GET":
        context["values"] = {**context["values"], "contact": contact, "organization": ""}
        return render(request, "requests/form.html", context)
    settings = request.app.state.settings
    limit = settings.max_upload_kb * 1024
    form, attachment = await form_and_file(request, "attachment", limit)
    values: dict[str, str | None] = {
        name: _first(form, name)
        for name in ("purpose", "scenario", "term_months", "expected_volume", "contact", "organization")
    }
    values["organization"] = values["organization"] or None
    data = {**values, "product_id": slug, "accept_license": _first(form, "accept_license") == "1"}
    try:
        parsed = parse(services.RequestCreate, data)
        store = (settings.uploads_dir, limit)
        days = settings.request_answer_days
        created = await call(request, services.create_request, actor, parsed, attachment, store, days)
    except CatalogError as error:
        fields = error.fields if isinstance(error, Invalid) else {}
        existing = error.details.get("existing")
        page = {**context, "values": values, "errors": fields, "message": error.message, "existing": existing}
        return render(request, "requests/form.html", page, status=error.status)
    return redirect_to(request, "requests.detail", id=created.id)


@signed_in
async def inbox(request: Request, actor: Actor) -> Response:
    side = "incoming" if route_name(request) == "requests.incoming" else "mine"
    status = request.query_params.get("status") or None
    page = request.query_params.get("page", "")
    box = await call(request, services.inbox, actor, side, status, int(page[:6]) if page.isdecimal() else 1)
    context: dict[str, Any] = {
        "page": box,
        "items": box.items,
        "side": side,
        "status": status,
        "counts": box.counts,
        "overdue": box.overdue,
    }
    context.update(LABELS)
    return render(request, "requests/inbox.html", context)


@signed_in
async def detail(
    request: Request,
    actor: Actor,
    *,
    error: CatalogError | None = None,
    values: dict[str, str] | None = None,
    delivery_details: str | None = None,
) -> Response:
    reveal = request.method == "GET" and error is None
    found = await call(request, services.get_request, actor, request.path_params["id"], reveal)
    context = {
        "item": found,
        "errors": error.fields if isinstance(error, Invalid) else {},
        "message": error.message if error else None,
        "values": values or {},
        "delivery_details": delivery_details,
        **LABELS,
    }
    # private, no-store, as every page of a signed-in caller (middleware.SecurityHeaders)
    return render(request, "requests/detail.html", context, status=error.status if error else 200)


@signed_in
async def show_delivery(request: Request, actor: Actor) -> Response:
    """The delivery details on the request's page, asked for with its button (a form: never on a mere
    visit, nor from another site)."""
    secret_key = request.app.state.settings.secret_key
    try:
        details = await call(request, services.delivery_details, actor, request.path_params["id"], secret_key)
    except (Forbidden, Invalid) as error:
        return await detail(request, error=error)
    return await detail(request, delivery_details=details)


@signed_in
async def move(request: Request, actor: Actor) -> Response:
    form = await form_lists(request)
    values = {name: _first(form, name) for name in ("to", "reason", "method", "details", "expires_at")}
    data: dict[str, Any] = {"to": values["to"] or "-", "reason": values["reason"]}
    if values["method"] or values["details"]:
        data["delivery"] = {
            "method": values["method"],
            "details": values["details"],
            "expires_at": values["expires_at"] or None,
        }
    try:
        await call(
            request,
            services.transition,
            actor,
            request.path_params["id"],
            parse(services.StepRequest, data),
            secret_key=request.app.state.settings.secret_key,
        )
    except CatalogError as error:
        if error.status == 409:
            error = Invalid(
                N_("This step is no longer open: the request has moved on. Reload to see its state.")
            )
        return await detail(request, error=error, values=values)
    return redirect_to(request, "requests.detail", id=request.path_params["id"])


@signed_in
async def message(request: Request, actor: Actor) -> Response:
    form = await form_lists(request)
    try:
        data = parse(services.MessageCreate, {"body": _first(form, "body")})
        await call(request, services.post_message, actor, request.path_params["id"], data)
    except CatalogError as error:
        return await detail(request, error=error, values={"body": _first(form, "body")})
    return redirect_to(request, "requests.detail", id=request.path_params["id"], fragment="thread")


@signed_in
async def follow_page(request: Request, actor: Actor) -> Response:
    """The follow button on product and organization pages."""
    form = await form_lists(request)
    kind, key = _first(form, "kind"), _first(form, "key")
    target = {"product": key} if kind == "product" else {"provider": key}
    await call(request, follows.set_follow, actor, on=_first(form, "on") == "1", **target)
    if kind == "product":
        return redirect_to(request, "products.detail", slug=key)
    return redirect_to(request, "organizations.detail", slug=key)


@signed_in
async def attachment(request: Request, actor: Actor) -> Response:
    """The requester's attachment, for the two sides of the request, always as a download."""
    uploads = request.app.state.settings.uploads_dir
    path, name = await call(request, services.attachment_file, actor, request.path_params["id"], uploads)
    media = MEDIA_TYPES.get(path.suffix, "application/octet-stream")  # by what it is, not what it is called
    return FileResponse(path, filename=name, media_type=media, content_disposition_type="attachment")


routes = [
    Route("/requests/{id:int}/attachment", attachment, name="requests.attachment"),
    Route("/follow", follow_page, methods=["POST"], name="follow"),
    Route("/products/{slug}/request", request_form, methods=["GET", "POST"], name="products.request"),
    Route("/requests", inbox, name="requests.mine"),
    Route("/owner/requests", inbox, name="requests.incoming"),
    Route("/requests/{id:int}", detail, name="requests.detail"),
    Route("/requests/{id:int}/transition", move, methods=["POST"], name="requests.move"),
    Route("/requests/{id:int}/delivery", show_delivery, methods=["POST"], name="requests.delivery"),
    Route("/requests/{id:int}/messages", message, methods=["POST"], name="requests.message"),
]
