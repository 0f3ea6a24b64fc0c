"""JSON API v1 for access requests: create, read, list, transition and message, with tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.errors import Invalid
from catalog.permissions import require_write
from catalog.requests import follows, services
from catalog.validation import parse
from catalog.web import actor_for, call, json_body, json_response


async def requests(request: Request) -> Response:
    """``GET ?side=mine|incoming&status=`` lists; ``POST`` creates (201, or 409 ``duplicate``)."""
    actor = actor_for(request)
    if request.method == "GET":
        side = request.query_params.get("side") or "mine"
        if side not in ("mine", "incoming"):
            raise Invalid("side is mine or incoming", fields={"side": "mine or incoming"})
        status = request.query_params.get("status") or None
        found = await call(request, services.list_requests, actor, side, status)
        return json_response({"items": [r.model_dump(mode="json") for r in found], "total": len(found)})
    require_write(actor)
    data = parse(services.RequestCreate, await json_body(request) or {})
    days = request.app.state.settings.request_answer_days
    created = await call(request, services.create_request, actor, data, None, None, days)
    return json_response(created, status=201)


async def one(request: Request) -> Response:
    reveal = request.method == "GET"  # not HEAD: opening it marks the other side's messages read
    found = await call(request, services.get_request, actor_for(request), request.path_params["id"], reveal)
    return json_response(found)


async def delivery(request: Request) -> Response:
    """``{"details"}``: the delivery details, for the requesting organization's members (a POST: each
    showing is recorded, and a link or a prefetch shows nothing)."""
    secret_key = request.app.state.settings.secret_key
    details = await call(
        request, services.delivery_details, actor_for(request), request.path_params["id"], secret_key
    )
    return json_response({"details": details})  # private, no-store: as every answer to a signed-in caller


async def transition(request: Request) -> Response:
    """``{"to", "reason"?, "delivery"?: {"method", "details", "expires_at"}}``"""
    actor = actor_for(request)
    require_write(actor)
    data = parse(services.StepRequest, await json_body(request) or {})
    secret_key = request.app.state.settings.secret_key
    moved = await call(
        request, services.transition, actor, request.path_params["id"], data, secret_key=secret_key
    )
    return json_response(moved)


async def messages(request: Request) -> Response:
    """``{"body"}`` → the request with its thread."""
    actor = actor_for(request)
    require_write(actor)
    data = parse(services.MessageCreate, await json_body(request) or {})
    return json_response(
        await call(request, services.post_message, actor, request.path_params["id"], data), status=201
    )


async def follow(request: Request) -> Response:
    """``POST`` follows, ``DELETE`` stops following: ``{"product": "<id>"}`` or ``{"provider": "<id>"}``."""
    actor = actor_for(request)
    require_write(actor)
    body = await json_body(request) or {}
    target = {k: str(body[k]) for k in ("product", "provider") if isinstance(body, dict) and body.get(k)}
    if len(target) != 1:
        raise Invalid("name one product or one provider", fields={"product": "one of product or provider"})
    on = request.method == "POST"
    following = await call(request, follows.set_follow, actor, on=on, **target)
    return json_response({"following": following, **target})


routes = [
    Route("/api/v1/follows", follow, methods=["POST", "DELETE"], name="api.follows"),
    Route("/api/v1/requests", requests, methods=["GET", "POST"], name="api.requests"),
    Route("/api/v1/requests/{id:int}", one, name="api.requests.detail"),
    Route("/api/v1/requests/{id:int}/delivery", delivery, methods=["POST"], name="api.requests.delivery"),
    Route(
        "/api/v1/requests/{id:int}/transition", transition, methods=["POST"], name="api.requests.transition"
    ),
    Route("/api/v1/requests/{id:int}/messages", messages, methods=["POST"], name="api.requests.messages"),
]
