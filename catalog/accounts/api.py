"""JSON API v1 for organizations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.accounts import auth, services
from catalog.errors import Invalid
from catalog.pagination import PageParams
from catalog.permissions import require_write
from catalog.validation import parse
from catalog.vocabularies import OrganizationKind
from catalog.web import actor_for, call, json_body, json_response, query_model


async def list_organizations(request: Request) -> Response:
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in OrganizationKind.__members__.values():
        raise Invalid(f"kind must be one of {', '.join(OrganizationKind)}", fields={"kind": "unknown kind"})
    paging = query_model(request, PageParams)
    return json_response(await call(request, services.list_organizations, kind, paging))


async def get_organization(request: Request) -> Response:
    return json_response(await call(request, services.get_organization, request.path_params["slug"]))


async def me(request: Request) -> Response:
    """The caller's account (with a token or a session): roles, organizations, tokens."""
    return json_response(await call(request, auth.account, actor_for(request)))


async def tokens(request: Request) -> Response:
    actor = actor_for(request)
    if request.method == "GET":
        found = await call(request, auth.list_tokens, actor)
        return json_response({"items": [t.model_dump(mode="json") for t in found]})
    require_write(actor)  # 401 or 403 before looking at the body
    data = parse(auth.TokenCreate, await json_body(request) or {})
    secret, token = await call(request, auth.create_token, actor, data)
    return json_response({"token": secret, **token.model_dump(mode="json")}, status=201)


async def revoke_token(request: Request) -> Response:
    await call(request, auth.revoke_token, actor_for(request), request.path_params["token_id"])
    return json_response({"revoked": True})


routes = [
    Route("/api/v1/me", me, name="api.me"),
    Route("/api/v1/tokens", tokens, methods=["GET", "POST"], name="api.tokens"),
    Route("/api/v1/tokens/{token_id:int}", revoke_token, methods=["DELETE"], name="api.tokens.revoke"),
    Route("/api/v1/organizations", list_organizations, name="api.organizations.list"),
    Route("/api/v1/organizations/{slug}", get_organization, name="api.organizations.detail"),
]
