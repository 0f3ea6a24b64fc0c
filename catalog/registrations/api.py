"""JSON API v1 for registrations: the public facts of a code; renewal by the owners, corrections by
reviewers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.registrations import services
from catalog.validation import parse
from catalog.web import actor_for, call, json_object, json_response


async def get_registration(request: Request) -> Response:
    return json_response(await call(request, services.get_registration, request.path_params["code"]))


async def renew(request: Request) -> Response:
    return json_response(await call(request, services.renew, actor_for(request), request.path_params["code"]))


async def correct(request: Request) -> Response:
    data = parse(services.Correction, await json_object(request, "correction"))
    code = request.path_params["code"]
    return json_response(await call(request, services.correct, actor_for(request), code, data))


routes = [
    Route("/api/v1/registrations/{code}", get_registration, name="api.registrations.detail"),
    Route("/api/v1/registrations/{code}/renewal", renew, methods=["POST"], name="api.registrations.renew"),
    Route(
        "/api/v1/registrations/{code}/corrections",
        correct,
        methods=["POST"],
        name="api.registrations.correct",
    ),
]
