"""The audit log for administrators: a page at /admin/audit and ``GET /api/v1/audit``; read-only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.audit import services
from catalog.errors import NotFound
from catalog.permissions import Actor
from catalog.stats import exports
from catalog.web import actor_for, call, json_response, query_model, render, signed_in


@signed_in
async def audit_page(request: Request, actor: Actor) -> Response:
    filters = query_model(request, services.AuditFilters)
    page = await call(request, services.list_events, actor, filters)
    return render(request, "admin/audit.html", {"page": page, "filters": filters})


async def audit_api(request: Request) -> Response:
    filters = query_model(request, services.AuditFilters)
    return json_response(await call(request, services.list_events, actor_for(request), filters))


@signed_in
async def export(request: Request, actor: Actor) -> Response:
    """``/admin/export/{products,datasets,stats}.{csv,xlsx,json}`` for administrators."""
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise NotFound("no such export")
    content = await call(request, exports.export, actor, request.app.state.settings, kind, fmt)
    media = exports.MEDIA_TYPES[fmt]
    headers = {"content-disposition": f'attachment; filename="huaian-data-port-{kind}.{fmt}"'}
    return Response(content, media_type=media, headers=headers)


routes = [
    Route("/admin/export/{kind}.{fmt}", export, name="admin.export"),
    Route("/admin/audit", audit_page, name="admin.audit"),
    Route("/api/v1/audit", audit_api, name="api.audit"),
]
