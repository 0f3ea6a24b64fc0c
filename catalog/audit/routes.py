"""The audit log for administrators: a page at /admin/audit and ``GET /api/v1/audit``; read-only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.accounts.routes import sign_in_url
from catalog.audit import services
from catalog.web import actor_for, call, json_response, query_model, redirect, render


async def audit_page(request: Request) -> Response:
    actor = actor_for(request)
    if actor.user_id is None:
        return redirect(sign_in_url(request))
    filters = query_model(request, services.AuditFilters)
    page = await call(request, services.list_events, actor, filters)
    return render(request, "admin/audit.html", {"page": page, "filters": filters})


async def audit_api(request: Request) -> Response:
    filters = query_model(request, services.AuditFilters)
    return json_response(await call(request, services.list_events, actor_for(request), filters))


routes = [
    Route("/admin/audit", audit_page, name="admin.audit"),
    Route("/api/v1/audit", audit_api, name="api.audit"),
]
