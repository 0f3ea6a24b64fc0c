"""JSON API v1 for licences (the URL says ``licenses``, as CKAN and DESIGN.md spell it)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.licences import services
from catalog.licences.models import LicencePublic
from catalog.pagination import Page
from catalog.web import call, json_response


async def list_licences(request: Request) -> Response:
    items = await call(request, services.list_licences)
    return json_response(Page[LicencePublic](total=len(items), page=1, per_page=len(items), items=items))


async def get_licence(request: Request) -> Response:
    return json_response(await call(request, services.get_licence, request.path_params["code"]))


routes = [
    Route("/api/v1/licenses", list_licences, name="api.licences.list"),
    Route("/api/v1/licenses/{code}", get_licence, name="api.licences.detail"),
]
