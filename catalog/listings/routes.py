"""The owner workspace (/owner) and the reviewers' queue (/review): listings in every state, their
history, and the lifecycle steps open to the person looking."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.errors import CatalogError, Invalid
from catalog.i18n import N_
from catalog.listings import services, workflow
from catalog.listings.urls import listing_url
from catalog.permissions import Actor
from catalog.products import queries as product_queries
from catalog.products import revisions
from catalog.products import services as products
from catalog.validation import parse
from catalog.web import call, form_lists, path_for, redirect, redirect_to, render, route_name, signed_in

KINDS = {"products": "product", "datasets": "dataset"}


def _side(request: Request) -> str:
    """Whose page an item's route belongs to, "owner" or "review": the first part of its name
    (``owner.item``, ``review.move``)."""
    return route_name(request).split(".")[0]


@signed_in
async def workspace(request: Request, actor: Actor) -> Response:
    status = request.query_params.get("status") or None
    space = await call(request, services.workspace, actor, status)
    return render(request, "owner/workspace.html", {"space": space, "status": status})


@signed_in
async def queue(request: Request, actor: Actor) -> Response:
    items = await call(request, services.review_queue, actor)
    versions = await call(request, product_queries.versions_in_review, actor)
    return render(request, "review/queue.html", {"items": items, "versions": versions})


@signed_in
async def item(
    request: Request, actor: Actor, *, error: CatalogError | None = None, values: dict[str, Any] | None = None
) -> Response:
    kind = KINDS.get(request.path_params["kinds"])
    if kind is None:
        return redirect_to(request, "owner.workspace")
    view = await call(request, services.overview, actor, kind, request.path_params["key"])
    report = revision = None
    if kind == "product":
        report = await call(request, products.product_quality, actor, request.path_params["key"])
        revision = await call(request, revisions.pending, actor, request.path_params["key"])
    raised = await call(request, services.objections, actor, kind, request.path_params["key"])
    reviewing = _side(request) == "review"
    context = {
        "view": view,
        "objections": raised,
        "quality": report,
        "revision": revision,
        "reviewing": reviewing,
        "checklist": workflow.CHECKLIST,
        "errors": error.fields if isinstance(error, Invalid) else {},
        "message": error.message if error else None,
        "values": values or {},
    }
    response = render(request, "owner/item.html", context, status=error.status if error else 200)
    response.headers["cache-control"] = "no-store"
    return response


@signed_in
async def move(request: Request, actor: Actor) -> Response:
    """A lifecycle step from the owner or review page; back to that page, with the form's errors."""
    kind = KINDS.get(request.path_params["kinds"])
    if kind is None:
        return redirect_to(request, "owner.workspace")
    form = await form_lists(request)
    target = (form.get("to") or [""])[0]
    data = services.TransitionRequest(
        to=target[:24] or "-",
        reason=(form.get("reason") or [""])[0][:2000],
        checklist={name: name in form.get("checklist", []) for name in workflow.CHECKLIST},
    )
    try:
        await call(
            request,
            services.transition,
            request.app.state.settings,
            actor,
            kind,
            request.path_params["key"],
            data,
        )
    except CatalogError as error:
        if error.status == 409:  # the item moved on meanwhile: say so on the page
            error = Invalid(
                N_("This step is no longer open: the listing has moved on. Reload to see its state.")
            )
        return await item(
            request, error=error, values={"reason": data.reason, "checklist": form.get("checklist", [])}
        )
    return redirect_to(request, f"{_side(request)}.item", **request.path_params)


@signed_in
async def object_to(request: Request, actor: Actor) -> Response:
    """The objection form on a listing in publicity (any signed-in organization)."""
    kinds = route_name(request).split(".")[0]  # products.object, datasets.object
    kind, key = KINDS[kinds], request.path_params["key"]
    form = await form_lists(request)
    public = listing_url(kind, key)
    try:
        data = parse(services.ObjectionCreate, {"reason": (form.get("reason") or [""])[0]})
        await call(request, services.file_objection, actor, kind, key, data)
    except CatalogError as error:
        message = error.fields.get("reason", error.message) if isinstance(error, Invalid) else error.message
        return render(
            request,
            "owner/objection.html",
            {"public": public, "message": message, "reason": (form.get("reason") or [""])[0]},
            status=error.status,
        )
    return redirect(public + "?objected=1")


@signed_in
async def answer(request: Request, actor: Actor) -> Response:
    """A reviewer's answer to an objection, from the review page."""
    form = await form_lists(request)
    queue = path_for(request, "review.queue")
    back = (form.get("back") or [queue])[0]
    back = back if back.startswith(queue + "/") else queue  # a page of the review queue, nowhere else
    data = {"uphold": (form.get("uphold") or [""])[0] == "1", "answer": (form.get("answer") or [""])[0]}
    try:
        parsed = parse(services.ObjectionAnswer, data)
        settings = request.app.state.settings
        await call(
            request, services.answer_objection, settings, actor, request.path_params["objection_id"], parsed
        )
    except CatalogError as error:
        return render(
            request,
            "owner/objection.html",
            {
                "public": back,
                "message": error.fields.get("answer", error.message)
                if isinstance(error, Invalid)
                else error.message,
                "reason": "",
            },
            status=error.status,
        )
    return redirect(back)


@signed_in
async def move_version(request: Request, actor: Actor) -> Response:
    """A step of a listed product's new version, from the owner or review page."""
    form = await form_lists(request)
    to = (form.get("to") or [""])[0][:24]
    reason = (form.get("reason") or [""])[0][:2000]
    checklist = {name: name in form.get("checklist", []) for name in workflow.CHECKLIST}
    try:
        await call(
            request, revisions.revision_transition, actor, request.path_params["key"], to, reason, checklist
        )
    except CatalogError as error:
        if error.status == 409:
            error = Invalid(
                N_("This step is no longer open: the listing has moved on. Reload to see its state.")
            )
        return await item(
            request, error=error, values={"reason": reason, "checklist": form.get("checklist", [])}
        )
    return redirect_to(request, f"{_side(request)}.item", **request.path_params)


routes = [
    Route("/owner/{kinds}/{key}/version", move_version, methods=["POST"], name="owner.version"),
    Route("/review/{kinds}/{key}/version", move_version, methods=["POST"], name="review.version"),
    Route("/products/{key}/objections", object_to, methods=["POST"], name="products.object"),
    Route("/datasets/{key}/objections", object_to, methods=["POST"], name="datasets.object"),
    Route("/review/objections/{objection_id:int}", answer, methods=["POST"], name="review.answer"),
    Route("/owner", workspace, name="owner.workspace"),
    Route("/owner/{kinds}/{key}", item, name="owner.item"),
    Route("/owner/{kinds}/{key}/transition", move, methods=["POST"], name="owner.move"),
    Route("/review", queue, name="review.queue"),
    Route("/review/{kinds}/{key}", item, name="review.item"),
    Route("/review/{kinds}/{key}/transition", move, methods=["POST"], name="review.move"),
]
