"""JSON API v1 for the catalog's figures."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.stats import services
from catalog.web import call, json_response


async def stats(request: Request) -> Response:
    return json_response(await call(request, services.catalog_stats, request.app.state.settings))


routes = [Route("/api/v1/stats", stats, name="api.stats")]
