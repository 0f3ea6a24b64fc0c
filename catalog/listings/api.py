"""JSON API v1 for the listing lifecycle of products and datasets: ``POST …/transition``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.listings import services
from catalog.permissions import require_write
from catalog.validation import parse
from catalog.web import actor_for, call, json_body, json_response, route_name


def _kind(request: Request) -> str:
    """The kind of item, "product" or "dataset": the second part of the route's name."""
    return route_name(request).split(".")[1]


async def transition(request: Request) -> Response:
    """``{"to", "reason", "checklist"}`` → ``{"status", "timeline"}``; 409 with the allowed states."""
    actor = actor_for(request)
    require_write(actor)
    kind, key = _kind(request), request.path_params["key"]
    data = parse(services.TransitionRequest, await json_body(request) or {})
    settings = request.app.state.settings
    steps = await call(request, services.transition, settings, actor, kind, key, data)
    return json_response(
        {"status": steps[-1].to_status, "timeline": [s.model_dump(mode="json") for s in steps]}
    )


async def objections(request: Request) -> Response:
    """``GET`` the objections to an item (as the caller may see them); ``POST {"reason"}`` files one."""
    actor = actor_for(request)
    kind, key = _kind(request), request.path_params["key"]
    if request.method == "GET":
        found = await call(request, services.objections, actor, kind, key)
        return json_response({"items": [o.model_dump(mode="json") for o in found]})
    require_write(actor)
    data = parse(services.ObjectionCreate, await json_body(request) or {})
    return json_response(await call(request, services.file_objection, actor, kind, key, data), status=201)


async def answer(request: Request) -> Response:
    """``{"uphold": true|false, "answer"}``: a reviewer's answer to an open objection."""
    actor = actor_for(request)
    require_write(actor)
    data = parse(services.ObjectionAnswer, await json_body(request) or {})
    settings = request.app.state.settings
    objection_id = request.path_params["objection_id"]
    return json_response(await call(request, services.answer_objection, settings, actor, objection_id, data))


routes = [
    Route("/api/v1/products/{key}/transition", transition, methods=["POST"], name="api.product.transition"),
    Route("/api/v1/datasets/{key}/transition", transition, methods=["POST"], name="api.dataset.transition"),
    Route(
        "/api/v1/products/{key}/objections",
        objections,
        methods=["GET", "POST"],
        name="api.product.objections",
    ),
    Route(
        "/api/v1/datasets/{key}/objections",
        objections,
        methods=["GET", "POST"],
        name="api.dataset.objections",
    ),
    Route(
        "/api/v1/objections/{objection_id:int}/answer", answer, methods=["POST"], name="api.objections.answer"
    ),
]
