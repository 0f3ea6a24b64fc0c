"""The owner workspace (/owner) and the reviewers' queue (/review): listings in every state, their
history, and the lifecycle steps open to the person looking."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.accounts.routes import sign_in_url
from catalog.errors import CatalogError, Invalid
from catalog.i18n import N_
from catalog.listings import services, workflow
from catalog.web import actor_for, call, form_lists, redirect, render

KINDS = {"products": "product", "datasets": "dataset"}


async def workspace(request: Request) -> Response:
    actor = actor_for(request)
    if actor.user_id is None:
        return redirect(sign_in_url(request))
    status = request.query_params.get("status") or None
    space = await call(request, services.workspace, actor, status)
    return render(request, "owner/workspace.html", {"space": space, "status": status})


async def queue(request: Request) -> Response:
    actor = actor_for(request)
    if actor.user_id is None:
        return redirect(sign_in_url(request))
    return render(request, "review/queue.html", {"items": await call(request, services.review_queue, actor)})


async def item(
    request: Request, *, error: CatalogError | None = None, values: dict[str, Any] | None = None
) -> Response:
    actor = actor_for(request)
    if actor.user_id is None:
        return redirect(sign_in_url(request))
    kind = KINDS.get(request.path_params["kinds"])
    if kind is None:
        return redirect("/owner")
    view = await call(request, services.overview, actor, kind, request.path_params["key"])
    reviewing = request.url.path.startswith("/review/")
    context = {
        "view": view,
        "reviewing": reviewing,
        "checklist": workflow.CHECKLIST,
        "errors": error.fields if isinstance(error, Invalid) else {},
        "message": error.message if error else None,
        "values": values or {},
    }
    response = render(request, "owner/item.html", context, status=error.status if error else 200)
    response.headers["cache-control"] = "no-store"
    return response


async def move(request: Request) -> Response:
    """A lifecycle step from the owner or review page; back to that page, with the form's errors."""
    actor = actor_for(request)
    if actor.user_id is None:
        return redirect(sign_in_url(request))
    kind = KINDS.get(request.path_params["kinds"])
    if kind is None:
        return redirect("/owner")
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
    return redirect(request.url.path.rsplit("/", 1)[0])


routes = [
    Route("/owner", workspace, name="owner.workspace"),
    Route("/owner/{kinds}/{key}", item, name="owner.item"),
    Route("/owner/{kinds}/{key}/transition", move, methods=["POST"], name="owner.move"),
    Route("/review", queue, name="review.queue"),
    Route("/review/{kinds}/{key}", item, name="review.item"),
    Route("/review/{kinds}/{key}/transition", move, methods=["POST"], name="review.move"),
]
