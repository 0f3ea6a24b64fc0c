"""JSON API v1 for authorizations: public, read-only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.authorizations import services
from catalog.web import call, json_response, query_model


async def list_authorizations(request: Request) -> Response:
    filters = query_model(request, services.AuthorizationFilters)
    return json_response(await call(request, services.list_authorizations, filters))


async def get_authorization(request: Request) -> Response:
    return json_response(await call(request, services.get_authorization, request.path_params["code"]))


routes = [
    Route("/api/v1/authorizations", list_authorizations, name="api.authorizations.list"),
    Route("/api/v1/authorizations/{code}", get_authorization, name="api.authorizations.detail"),
]
