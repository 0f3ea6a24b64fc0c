"""Administration pages: organizations, accounts, sectors and licences. Each page parses the form, calls a
service (which checks the administrator role again and writes the audit event) and redirects; invalid
input comes back on the form with its messages beside the fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.accounts import services as accounts
from catalog.accounts.models import OrganizationCreate
from catalog.admin.gate import admin_page
from catalog.errors import CatalogError, Forbidden, Invalid, InvalidTransition, NotFound
from catalog.i18n import N_
from catalog.licences import services as licences
from catalog.licences.models import LicenceCreate
from catalog.permissions import Actor
from catalog.sectors import services as sectors
from catalog.validation import FIELD_MESSAGES, parse
from catalog.vocabularies import LicenceKind, OrganizationKind
from catalog.web import call, form_data, query_model, redirect_to, render


def management_page(
    request: Request, template: str, context: dict[str, Any], error: CatalogError | None = None
) -> Response:
    """A management page; with ``error``, its message above the form, its field messages beside the
    fields, and its status."""
    context = {
        "errors": error.fields if isinstance(error, Invalid) else {},
        "message": error.message if error is not None else None,
        "done": request.query_params.get("done"),
        **context,
    }
    response = render(request, f"admin/{template}", context, status=error.status if error else 200)
    return response


def _values(item: BaseModel) -> dict[str, Any]:
    """A stored item as its form shows it (no ``None`` in the fields)."""
    return {name: "" if value is None else value for name, value in item.model_dump().items()}


async def _form(request: Request) -> dict[str, str]:
    return {name: value.strip() for name, value in (await form_data(request)).items()}


# --- organizations --------------------------------------------------------------------------------
ORGANIZATION_FORM = {"kinds": list(OrganizationKind)}


@admin_page
async def organizations(request: Request, actor: Actor) -> Response:
    filters = query_model(request, accounts.OrganizationFilters)
    page = await call(request, accounts.list_organizations_for_admin, actor, filters)
    return management_page(
        request, "organizations.html", {"page": page, "filters": filters, **ORGANIZATION_FORM}
    )


@admin_page
async def organization_new(request: Request, actor: Actor) -> Response:
    if request.method == "GET":
        return management_page(
            request, "organization_form.html", {"values": {"verified": "1"}, **ORGANIZATION_FORM}
        )
    data = await _form(request)
    if not data.get("slug"):
        data["slug"] = accounts.suggested_slug(data.get("name_en", ""), data.get("code", ""))
    try:
        slug = await call(
            request,
            accounts.create_organization,
            actor,
            parse(OrganizationCreate, data),
            "verified" in data,
        )
    except Invalid as error:
        return management_page(
            request, "organization_form.html", {"values": data, **ORGANIZATION_FORM}, error
        )
    return redirect_to(request, "admin.organization", slug=slug, query={"done": "created"})


async def _organization_page(
    request: Request, actor: Actor, values: dict[str, str] | None = None, error: CatalogError | None = None
) -> Response:
    slug = request.path_params["slug"]
    org = await call(request, accounts.organization_for_admin, actor, slug)
    context = {"organization": org, "values": values or _values(org), **ORGANIZATION_FORM}
    return management_page(request, "organization_form.html", context, error)


@admin_page
async def organization_edit(request: Request, actor: Actor) -> Response:
    if request.method == "GET":
        return await _organization_page(request, actor)
    slug = request.path_params["slug"]
    data = await _form(request)
    try:
        change = parse(OrganizationCreate, {**data, "slug": slug})
        await call(request, accounts.update_organization, actor, slug, change)
    except Invalid as error:
        return await _organization_page(request, actor, data, error)
    return redirect_to(request, "admin.organization", slug=slug, query={"done": "saved"})


@admin_page
async def organization_standing(request: Request, actor: Actor) -> Response:
    slug, action = request.path_params["slug"], request.path_params["action"]
    if action not in accounts.STANDING:
        raise NotFound("no such page")
    data = await _form(request)
    try:
        change = parse(accounts.StandingChange, {**data, "action": action})
        await call(request, accounts.change_standing, actor, slug, change)
    except (Invalid, InvalidTransition) as error:
        return await _organization_page(request, actor, None, error)
    return redirect_to(request, "admin.organization", slug=slug, query={"done": action})


# --- users ----------------------------------------------------------------------------------------
@admin_page
async def users(request: Request, actor: Actor) -> Response:
    filters = query_model(request, accounts.UserFilters)
    page = await call(request, accounts.list_users, actor, filters)
    return management_page(request, "users.html", {"page": page, "filters": filters})


async def _user_page(request: Request, actor: Actor, error: CatalogError | None = None) -> Response:
    user_id = request.path_params["user_id"]
    user = await call(request, accounts.user_for_admin, actor, user_id)
    choices = await call(request, accounts.organization_choices, actor)
    return management_page(
        request,
        "user.html",
        {"user": user, "organizations": choices, "myself": user_id == actor.user_id},
        error,
    )


@admin_page
async def user(request: Request, actor: Actor) -> Response:
    return await _user_page(request, actor)


async def _change_user(
    request: Request, actor: Actor, service: Callable[..., Any], *args: Any, **kwargs: Any
) -> Response:
    """Run a change of the account, then back to its page; a refused change is shown on the page."""
    user_id = request.path_params["user_id"]
    try:
        await call(request, service, actor, user_id, *args, **kwargs)
    except (Invalid, Forbidden) as error:
        return await _user_page(request, actor, error)
    return redirect_to(request, "admin.user", user_id=user_id, query={"done": "saved"})


@admin_page
async def user_roles(request: Request, actor: Actor) -> Response:
    data = await _form(request)
    return await _change_user(
        request, actor, accounts.change_user_roles, admin="admin" in data, reviewer="reviewer" in data
    )


@admin_page
async def user_standing(request: Request, actor: Actor) -> Response:
    active = (await _form(request)).get("active")
    if active not in ("0", "1"):
        return await _user_page(request, actor, Invalid(N_("Choose whether the account is enabled.")))
    return await _change_user(request, actor, accounts.change_user_roles, active=active == "1")


@admin_page
async def user_membership(request: Request, actor: Actor) -> Response:
    data = await _form(request)
    try:
        change = parse(accounts.MembershipChange, data)
    except Invalid as error:
        return await _user_page(request, actor, error)
    return await _change_user(request, actor, accounts.change_membership, change)


# --- sectors --------------------------------------------------------------------------------------
@admin_page
async def sector_list(request: Request, actor: Actor) -> Response:
    values: dict[str, str] = {}
    error: CatalogError | None = None
    if request.method == "POST":
        values = await _form(request)
        try:
            slug = await call(request, sectors.create_sector, actor, parse(sectors.SectorEdit, values))
        except Invalid as invalid:
            error = invalid
        else:
            return redirect_to(request, "admin.sectors", query={"done": "created"}, fragment=f"sector-{slug}")
    items = await call(request, sectors.list_sectors_for_admin, actor)
    return management_page(request, "sectors.html", {"sectors": items, "values": values}, error)


@admin_page
async def sector_edit(request: Request, actor: Actor) -> Response:
    slug = request.path_params["slug"]
    sector = await call(request, sectors.sector_for_edit, actor, slug)
    if request.method == "GET":
        return management_page(request, "sector.html", {"sector": sector, "values": _values(sector)})
    data = await _form(request)
    try:
        change = parse(sectors.SectorEdit, {**data, "slug": slug})
        await call(request, sectors.update_sector, actor, slug, change)
    except Invalid as error:
        return management_page(request, "sector.html", {"sector": sector, "values": data}, error)
    return redirect_to(request, "admin.sectors", query={"done": "saved"}, fragment=f"sector-{slug}")


# --- licences -------------------------------------------------------------------------------------
LICENCE_FORM = {"kinds": list(LicenceKind)}


def _licence_input(data: dict[str, str], code: str | None) -> LicenceCreate:
    """The form's licence, its ODRL policy read from JSON text: every field's problem at once."""
    fields: dict[str, str] = {}
    odrl: dict[str, Any] = {}
    if not data.get("odrl"):
        fields["odrl"] = FIELD_MESSAGES["missing"]
    else:
        try:
            odrl = licences.read_odrl(data["odrl"])
        except Invalid as error:
            fields.update(error.fields)
    try:
        licence = parse(LicenceCreate, {**data, "code": code or data.get("code", ""), "odrl": odrl})
    except Invalid as error:
        fields = {**error.fields, **fields}
    if fields:
        raise Invalid(N_("Please correct the marked fields."), fields=fields)
    return licence


@admin_page
async def licence_list(request: Request, actor: Actor) -> Response:
    items = await call(request, licences.list_licences)
    return management_page(request, "licences.html", {"licences": items})


@admin_page
async def licence_new(request: Request, actor: Actor) -> Response:
    if request.method == "GET":
        values = {"odrl": licences.odrl_text(licences.STARTING_POLICY)}
        return management_page(request, "licence.html", {"licence": None, "values": values, **LICENCE_FORM})
    data = await _form(request)
    try:
        code = await call(request, licences.create_licence, actor, _licence_input(data, None))
    except Invalid as error:
        return management_page(
            request, "licence.html", {"licence": None, "values": data, **LICENCE_FORM}, error
        )
    return redirect_to(request, "admin.licence", code=code, query={"done": "created"})


@admin_page
async def licence_edit(request: Request, actor: Actor) -> Response:
    code = request.path_params["code"]
    licence = await call(request, licences.licence_for_edit, actor, code)
    context = {"licence": licence, **LICENCE_FORM}
    if request.method == "GET":
        values = {**_values(licence), "odrl": licences.odrl_text(licence.odrl)}
        return management_page(request, "licence.html", {**context, "values": values})
    data = await _form(request)
    try:
        await call(request, licences.update_licence, actor, code, _licence_input(data, code))
    except Invalid as error:
        return management_page(request, "licence.html", {**context, "values": data}, error)
    return redirect_to(request, "admin.licence", code=code, query={"done": "saved"})


routes = [
    Route("/admin/organizations", organizations, name="admin.organizations"),
    Route(
        "/admin/organizations/new", organization_new, methods=["GET", "POST"], name="admin.organizations.new"
    ),
    Route(
        "/admin/organizations/{slug}", organization_edit, methods=["GET", "POST"], name="admin.organization"
    ),
    Route(
        "/admin/organizations/{slug}/{action:str}",
        organization_standing,
        methods=["POST"],
        name="admin.organization.standing",
    ),
    Route("/admin/users", users, name="admin.users"),
    Route("/admin/users/{user_id:int}", user, name="admin.user"),
    Route("/admin/users/{user_id:int}/roles", user_roles, methods=["POST"], name="admin.user.roles"),
    Route("/admin/users/{user_id:int}/standing", user_standing, methods=["POST"], name="admin.user.standing"),
    Route(
        "/admin/users/{user_id:int}/memberships",
        user_membership,
        methods=["POST"],
        name="admin.user.memberships",
    ),
    Route("/admin/sectors", sector_list, methods=["GET", "POST"], name="admin.sectors"),
    Route("/admin/sectors/{slug}", sector_edit, methods=["GET", "POST"], name="admin.sector"),
    Route("/admin/licences", licence_list, name="admin.licences"),
    Route("/admin/licences/new", licence_new, methods=["GET", "POST"], name="admin.licences.new"),
    Route("/admin/licences/{code}", licence_edit, methods=["GET", "POST"], name="admin.licence"),
]
