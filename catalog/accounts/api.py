"""JSON API v1 for organizations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.accounts import services
from catalog.errors import Invalid
from catalog.pagination import PageParams
from catalog.vocabularies import OrganizationKind
from catalog.web import call, json_response, query_model


async def list_organizations(request: Request) -> Response:
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in OrganizationKind.__members__.values():
        raise Invalid(f"kind must be one of {', '.join(OrganizationKind)}", fields={"kind": "unknown kind"})
    paging = query_model(request, PageParams)
    return json_response(await call(request, services.list_organizations, kind, paging))


async def get_organization(request: Request) -> Response:
    return json_response(await call(request, services.get_organization, request.path_params["slug"]))


routes = [
    Route("/api/v1/organizations", list_organizations, name="api.organizations.list"),
    Route("/api/v1/organizations/{slug}", get_organization, name="api.organizations.detail"),
]
