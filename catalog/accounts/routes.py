"""Organization pages, and the account pages: sign-in, registration, passwords, API tokens."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.accounts import auth, services
from catalog.accounts.throttle import client_key
from catalog.errors import CatalogError, Invalid, TooManyRequests
from catalog.i18n import N_
from catalog.listings.filters import DatasetFilters, ProductFilters
from catalog.middleware import CSRF_COOKIE
from catalog.pagination import PageParams
from catalog.permissions import Actor
from catalog.requests import follows
from catalog.validation import parse
from catalog.vocabularies import OrganizationKind
from catalog.web import (
    actor_for,
    call,
    form_data,
    path_for,
    query_model,
    redirect,
    redirect_to,
    render,
    signed_in,
)


async def browse(request: Request) -> Response:
    kind = request.query_params.get("kind") or None
    if kind not in (None, *OrganizationKind):
        kind = None
    paging = query_model(request, PageParams, per_page=60)
    page = await call(request, services.list_organizations, kind, paging)
    return render(request, "organizations/list.html", {"page": page, "kind": kind})


async def detail(request: Request) -> Response:
    slug = request.path_params["slug"]
    organization = await call(request, services.get_organization, slug)
    product_filters = query_model(request, ProductFilters, provider=[slug], sort="newest")
    dataset_filters = DatasetFilters(provider=[slug], sort="newest", per_page=50)
    search = request.app.state.search
    product_page = await search.page("product", product_filters, facets=False)
    dataset_page = await search.page("dataset", dataset_filters, facets=False)
    return render(
        request,
        "organizations/detail.html",
        {
            "organization": organization,
            "products": product_page,
            "datasets": dataset_page,
            "following": await call(request, follows.follows, actor_for(request), provider=slug),
        },
    )


def _safe_next(request: Request, target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return path_for(request, "accounts.account")


def _form_page(
    request: Request, name: str, context: dict[str, Any], error: CatalogError | None = None, status: int = 200
) -> Response:
    fields = error.fields if isinstance(error, Invalid) else {}
    message = error.message if error is not None else None
    response = render(
        request,
        name,
        {"errors": fields, "message": message, **context},
        status=error.status if error is not None else status,
    )
    response.headers["cache-control"] = "no-store"  # account pages (a new token) stay out of caches
    return response


def _client(request: Request) -> str:
    return client_key(request.client.host if request.client else None)


def _too_many(request: Request) -> CatalogError:
    return TooManyRequests(N_("Too many attempts from your network: wait a few minutes and try again."))


async def login(request: Request) -> Response:
    next_url = _safe_next(request, request.query_params.get("next"))
    if request.method == "GET":
        if actor_for(request).user_id is not None:
            return redirect(next_url)
        return _form_page(request, "accounts/login.html", {"values": {}, "next": next_url})
    data = await form_data(request)
    next_url = _safe_next(request, data.get("next"))
    values = {"email": data.get("email", "")}
    throttle = request.app.state.login_throttle
    stamp = throttle.acquire(_client(request))  # counted before checking: parallel tries count too
    if stamp is None:
        return _form_page(
            request, "accounts/login.html", {"values": values, "next": next_url}, _too_many(request)
        )
    settings = request.app.state.settings
    password = data.get("password", "")
    attempt = await call(request, auth.reserve_attempt, settings, data.get("email", ""))
    right = await run_in_threadpool(auth.check_password, attempt, password)
    result = await call(request, auth.finish_sign_in, settings, attempt, right, password)
    if isinstance(result, CatalogError):
        return _form_page(request, "accounts/login.html", {"values": values, "next": next_url}, result)
    throttle.release(_client(request), stamp)  # only failures count against the client
    return await _signed_in(request, result, next_url)


async def _signed_in(request: Request, user_session: tuple[int, str], next_url: str) -> Response:
    """Start the browser's session (ending the one it had); a fresh CSRF token comes with the next page."""
    previous = actor_for(request)
    if previous.session_id is not None:
        await call(request, auth.end_session, previous)
    request.session.clear()
    request.session["user"] = list(user_session)
    response = redirect(next_url)
    response.delete_cookie(CSRF_COOKIE)
    return response


async def logout(request: Request) -> Response:
    await call(request, auth.end_session, actor_for(request))
    request.session.clear()
    return redirect_to(request, "portal.home")


async def register(request: Request) -> Response:
    if request.method == "GET":
        return _form_page(request, "accounts/register.html", {"values": {}})
    data = await form_data(request)
    if request.app.state.register_throttle.acquire(_client(request)) is None:
        values = {k: v for k, v in data.items() if k != "password"}
        return _form_page(request, "accounts/register.html", {"values": values}, _too_many(request))
    try:
        registration = parse(auth.Registration, data)
        await call(request, auth.register, request.app.state.settings, registration)
    except Invalid as error:
        values = {k: v for k, v in data.items() if k != "password"}
        return _form_page(request, "accounts/register.html", {"values": values}, error)
    # the same answer whether the address or the organization had an account: the mail tells
    return _form_page(request, "accounts/register.html", {"values": {}, "sent": registration.email})


async def confirm(request: Request) -> Response:
    """A registration's mailed link: the account is active, and signed in."""
    try:
        signed = await call(
            request, auth.confirm_registration, request.app.state.settings, request.path_params["token"]
        )
    except Invalid as error:
        return _form_page(request, "accounts/register.html", {"values": {}}, error)
    return await _signed_in(request, signed, path_for(request, "accounts.account", query={"registered": "1"}))


@signed_in
async def account(
    request: Request, actor: Actor, *, new_token: str | None = None, error: CatalogError | None = None
) -> Response:
    overview = await call(request, auth.account, actor)
    notes = {key: request.query_params.get(key) for key in ("registered", "password_changed", "revoked")}
    return _form_page(
        request, "accounts/account.html", {"account": overview, "new_token": new_token, "notes": notes}, error
    )


@signed_in
async def change_password(request: Request, actor: Actor) -> Response:
    data = await form_data(request)
    try:
        await call(
            request,
            auth.change_password,
            actor,
            data.get("current_password", ""),
            data.get("new_password", ""),
        )
    except Invalid as error:
        return await account(request, error=error)
    # this session goes on; the account's others end
    return redirect_to(request, "accounts.account", query={"password_changed": "1"})


@signed_in
async def create_token(request: Request, actor: Actor) -> Response:
    data = await form_data(request)
    try:
        secret, _ = await call(request, auth.create_token, actor, parse(auth.TokenCreate, data))
    except Invalid as error:
        return await account(request, error=error)
    return await account(request, new_token=secret)  # shown this once, never stored


@signed_in
async def revoke_token(request: Request, actor: Actor) -> Response:
    await call(request, auth.revoke_token, actor, request.path_params["token_id"])
    return redirect_to(request, "accounts.account", query={"revoked": "1"})


async def password_reset_request(request: Request) -> Response:
    if request.method == "GET":
        return _form_page(request, "accounts/password_reset_request.html", {"values": {}, "sent": False})
    data = await form_data(request)
    email = data.get("email", "").strip()
    if not email:
        error = Invalid(
            N_("Please correct the marked fields."), fields={"email": N_("This field is required.")}
        )
        return _form_page(
            request, "accounts/password_reset_request.html", {"values": {}, "sent": False}, error
        )
    if request.app.state.reset_throttle.acquire(_client(request)) is None:
        context = {"values": {"email": email}, "sent": False}
        return _form_page(request, "accounts/password_reset_request.html", context, _too_many(request))
    await call(request, auth.request_password_reset, request.app.state.settings, email)
    return _form_page(request, "accounts/password_reset_request.html", {"values": {}, "sent": True})


async def password_reset(request: Request) -> Response:
    token = request.path_params["token"]
    settings = request.app.state.settings
    context = {"values": {}, "token": token}
    try:
        if request.method == "GET":
            await call(request, auth.check_reset_token, settings, token)
            return _form_page(request, "accounts/password_reset.html", context)
        data = await form_data(request)
        await call(request, auth.reset_password, settings, token, data.get("new_password", ""))
    except Invalid as error:
        return _form_page(request, "accounts/password_reset.html", context, error)
    request.session.clear()
    return redirect_to(request, "accounts.login", query={"reset": "1"})


routes = [
    Route("/organizations", browse, name="organizations.list"),
    Route("/organizations/{slug}", detail, name="organizations.detail"),
    Route("/login", login, methods=["GET", "POST"], name="accounts.login"),
    Route("/logout", logout, methods=["POST"], name="accounts.logout"),
    Route("/register", register, methods=["GET", "POST"], name="accounts.register"),
    Route("/account", account, name="accounts.account"),
    Route("/account/password", change_password, methods=["POST"], name="accounts.password"),
    Route("/account/tokens", create_token, methods=["POST"], name="accounts.tokens.create"),
    Route(
        "/account/tokens/{token_id:int}/revoke", revoke_token, methods=["POST"], name="accounts.tokens.revoke"
    ),
    Route("/register/{token}", confirm, name="accounts.confirm"),
    Route("/password-reset", password_reset_request, methods=["GET", "POST"], name="accounts.reset_request"),
    Route("/password-reset/{token}", password_reset, methods=["GET", "POST"], name="accounts.reset"),
]
