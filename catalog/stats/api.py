"""JSON API v1 for the catalog's figures and the yearly disclosure."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.stats import disclosure, services
from catalog.web import call, json_response


async def stats(request: Request) -> Response:
    return json_response(await call(request, services.catalog_stats, request.app.state.settings))


async def disclosure_year(request: Request) -> Response:
    body = request.app.state.settings.implementing_body
    return json_response(await call(request, disclosure.disclosure, request.path_params["year"], body))


routes = [
    Route("/api/v1/stats", stats, name="api.stats"),
    Route("/api/v1/disclosure/{year:int}", disclosure_year, name="api.disclosure"),
]
