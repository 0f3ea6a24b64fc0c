"""Administration of authorizations: the list with the grant form, one authorization's edit form and its
status steps. Each page parses the form and calls ``catalog.authorizations.services``, which checks the
administrator role again and writes the audit event."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.admin.gate import admin_page
from catalog.admin.manage import management_page
from catalog.authorizations import services, states
from catalog.authorizations.models import AuthorizationCreate
from catalog.errors import CatalogError
from catalog.permissions import Actor
from catalog.pricing import caps
from catalog.pricing.models import CapCreate
from catalog.validation import parse
from catalog.vocabularies import PriceModel, carries_price
from catalog.web import call, form_data, query_model, redirect_to

PRICED = [m for m in PriceModel if carries_price(m)]


@admin_page
async def authorization_list(request: Request, actor: Actor) -> Response:
    settings = request.app.state.settings
    values: dict[str, Any] = {}
    error: CatalogError | None = None
    if request.method == "POST":
        form = {k: v.strip() for k, v in (await form_data(request)).items()}
        values = form
        try:
            data = parse(AuthorizationCreate, services.parse_form(form))
            code = await call(request, services.create_authorization, actor, settings, data)
        except CatalogError as exc:
            error = exc
        else:
            return redirect_to(request, "admin.authorization", code=code, query={"done": "created"})
    filters = query_model(request, services.AuthorizationFilters, per_page=50)
    page = await call(request, services.list_authorizations, filters)
    operators = await call(request, services.operator_choices)
    context = {"page": page, "values": values, "operators": operators}
    return management_page(request, "authorizations.html", context, error)


@admin_page
async def authorization_edit(request: Request, actor: Actor) -> Response:
    code = request.path_params["code"]
    if request.method == "GET":
        return await _edit_page(request, actor, code)
    values = {k: v.strip() for k, v in (await form_data(request)).items()}
    body = request.app.state.settings.implementing_body
    try:
        data = parse(AuthorizationCreate, {**services.parse_form(values), "code": code})
        await call(request, services.update_authorization, actor, code, data, body)
    except CatalogError as exc:
        return await _edit_page(request, actor, code, exc, values=values)
    return redirect_to(request, "admin.authorization", code=code, query={"done": "saved"})


def _stored(status: str) -> str:
    """The stored status behind the one shown: an expired authorization is stored as active."""
    return states.AuthorizationStatus.ACTIVE if status == states.AuthorizationStatus.EXPIRED else status


@admin_page
async def authorization_status(request: Request, actor: Actor) -> Response:
    code = request.path_params["code"]
    form = await form_data(request)
    try:
        change = parse(services.StatusChange, {"to": form.get("to", ""), "reason": form.get("reason", "")})
        await call(request, services.change_status, actor, code, change)
    except CatalogError as exc:
        return await _edit_page(request, actor, code, exc)
    return redirect_to(request, "admin.authorization", code=code, query={"done": "status"})


async def _edit_page(
    request: Request,
    actor: Actor,
    code: str,
    error: CatalogError | None = None,
    *,
    values: dict[str, str] | None = None,
    cap_values: dict[str, str] | None = None,
) -> Response:
    """The authorization's page: its status steps, caps and edit form, with the error of one of them
    and the values it was sent with."""
    authorization = await call(request, services.get_authorization, code)
    if values is None:
        values = await call(request, services.form_values, actor, code)
    operators = await call(request, services.operator_choices)
    context = {
        "a": authorization,
        "values": values,
        "operators": operators,
        "steps": states.steps_from(_stored(authorization.status)),
        "cap_values": cap_values or {},
        "price_models": PRICED,
    }
    return management_page(request, "authorization.html", context, error)


@admin_page
async def authorization_cap(request: Request, actor: Actor) -> Response:
    code = request.path_params["code"]
    form = {k: v.strip() for k, v in (await form_data(request)).items() if k != "csrftoken" and v.strip()}
    try:
        await call(request, caps.set_cap, actor, code, parse(CapCreate, form))
    except CatalogError as exc:
        return await _edit_page(request, actor, code, exc, cap_values=form)
    return redirect_to(request, "admin.authorization", code=code, query={"done": "cap"}, fragment="caps")


routes = [
    Route("/admin/authorizations", authorization_list, methods=["GET", "POST"], name="admin.authorizations"),
    Route(
        "/admin/authorizations/{code}",
        authorization_edit,
        methods=["GET", "POST"],
        name="admin.authorization",
    ),
    Route(
        "/admin/authorizations/{code}/caps",
        authorization_cap,
        methods=["POST"],
        name="admin.authorization.cap",
    ),
    Route(
        "/admin/authorizations/{code}/status",
        authorization_status,
        methods=["POST"],
        name="admin.authorization.status",
    ),
]
