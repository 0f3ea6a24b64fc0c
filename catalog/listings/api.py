"""JSON API v1 for the listing lifecycle of products and datasets: ``POST …/transition``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.listings import services
from catalog.permissions import require_write
from catalog.validation import parse
from catalog.web import actor_for, call, json_body, json_response


async def transition(request: Request) -> Response:
    """``{"to", "reason", "checklist"}`` → ``{"status", "timeline"}``; 409 with the allowed states."""
    actor = actor_for(request)
    require_write(actor)
    kind = "product" if request.url.path.startswith("/api/v1/products/") else "dataset"
    key = request.path_params["key"]
    data = parse(services.TransitionRequest, await json_body(request) or {})
    settings = request.app.state.settings
    steps = await call(request, services.transition, settings, actor, kind, key, data)
    return json_response(
        {"status": steps[-1].to_status, "timeline": [s.model_dump(mode="json") for s in steps]}
    )


routes = [
    Route("/api/v1/products/{key}/transition", transition, methods=["POST"], name="api.product.transition"),
    Route("/api/v1/datasets/{key}/transition", transition, methods=["POST"], name="api.dataset.transition"),
]
