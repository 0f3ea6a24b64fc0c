"""The application factory: routes, templates, the indexer and error pages."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from catalog import db
from catalog.accounts import api as organizations_api
from catalog.accounts import auth
from catalog.accounts import mail as outbox
from catalog.accounts import routes as organizations_routes
from catalog.accounts.throttle import Throttle
from catalog.admin import authorizations as admin_authorizations
from catalog.admin import imports as admin_imports
from catalog.admin import manage as admin_manage
from catalog.admin import routes as admin_routes
from catalog.audit import routes as audit_routes
from catalog.authorizations import api as authorizations_api
from catalog.authorizations import routes as authorizations_routes
from catalog.authorizations import services as authorizations
from catalog.datasets import api as datasets_api
from catalog.datasets import routes as datasets_routes
from catalog.errors import CatalogError, ServerError, for_http_status
from catalog.indexing import hooks
from catalog.indexing.indexer import Indexer
from catalog.indexing.search import CatalogSearch
from catalog.interop import ckan, datapackage, dcat, dsp, feeds, openapi
from catalog.licences import api as licences_api
from catalog.listings import api as listings_api
from catalog.listings import routes as listings_routes
from catalog.listings import services as listings
from catalog.listings import states as listing_states
from catalog.listings.filters import ProductFilters
from catalog.middleware import SECURITY_HEADERS, stack
from catalog.portal import routes as portal_routes
from catalog.products import api as products_api
from catalog.products import routes as products_routes
from catalog.registrations import api as registrations_api
from catalog.registrations import routes as registrations_routes
from catalog.registrations import services as registrations
from catalog.requests import api as requests_api
from catalog.requests import routes as requests_routes
from catalog.requests import services as access_requests
from catalog.requests import workflow as request_workflow
from catalog.settings import Settings
from catalog.stats import api as stats_api
from catalog.stats import routes as stats_routes
from catalog.stats.views import ViewCounter
from catalog.web import error_body, is_api, json_response, make_environment, render

log = logging.getLogger("catalog")


async def _refresh_index(app: Starlette) -> None:
    """On a short timer: the node's index writer applies new ChangeLog rows (writes of other processes
    and nodes) or repairs the index; the other workers follow it, and take its role over if it died."""
    settings: Settings = app.state.settings
    while True:
        await anyio.sleep(settings.index_refresh_seconds)
        try:
            await run_in_threadpool(app.state.indexer.refresh)
        except Exception:  # keep refreshing; /healthz reports the lag
            log.exception("index refresh failed")


def _promote_due(engine: Engine, request_days: int) -> int:
    """End due publicity periods and expire undecided access requests."""
    with db.session_scope(engine) as session:
        listed = listings.promote_due(session)
    with db.session_scope(engine) as session:
        access_requests.expire_undecided(session, request_days)
    return listed


REMIND_EVERY_MINUTES = 10  # reminders are about ends 60 days away: a start need not wait for them


def _remind(engine: Engine) -> None:
    """Remind of authorizations and registrations ending within 60 days (each once per end date)."""
    with db.session_scope(engine) as session:
        authorizations.remind_ending(session)
        registrations.remind_renewal(session)


async def _end_publicity(app: Starlette) -> None:
    """List what has finished its publicity period, at start-up and every minute; remind of what ends
    soon a minute after start-up and every ten minutes."""
    minutes = 0
    while True:
        try:
            settings: Settings = app.state.settings
            listed = await run_in_threadpool(_promote_due, app.state.engine, settings.request_expiry_days)
            if listed:
                await run_in_threadpool(app.state.indexer.catch_up)
            if minutes % REMIND_EVERY_MINUTES == 1:
                await run_in_threadpool(_remind, app.state.engine)
        except Exception:  # try again next minute; nothing is half-done (one transaction)
            log.exception("ending publicity periods failed")
        minutes += 1
        await anyio.sleep(60)


VIEW_FLUSH_SECONDS = 10


async def _flush_views(app: Starlette) -> None:
    """Write the page views counted in this process every few seconds."""
    while True:
        await anyio.sleep(VIEW_FLUSH_SECONDS)
        try:
            await run_in_threadpool(app.state.views.flush, app.state.engine)
        except Exception:  # kept in memory for the next try
            log.exception("writing view counts failed")


async def _send_mail(app: Starlette) -> None:
    """Send the mail outbox every minute, when an SMTP server is configured."""
    settings: Settings = app.state.settings
    while True:
        try:
            await run_in_threadpool(outbox.send_pending, app.state.engine, settings)
        except Exception:  # the rows record their errors; keep going
            log.exception("sending mail failed")
        await anyio.sleep(60)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # the writer role if it is free; a missing or damaged index starts rebuilding in the background
    await run_in_threadpool(app.state.indexer.start)
    # decode the index's columns now, so that the first visitor does not wait for it
    await app.state.search.find("product", ProductFilters(per_page=1), facets=False)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_refresh_index, app)
        tasks.start_soon(_end_publicity, app)
        tasks.start_soon(_flush_views, app)
        if app.state.settings.smtp_host:
            tasks.start_soon(_send_mail, app)
        yield
        tasks.cancel_scope.cancel()
    with contextlib.suppress(Exception):  # logged by the timer; nothing more to do on the way out
        await run_in_threadpool(app.state.views.flush, app.state.engine)
    app.state.indexer.close()  # gives the writer role back
    app.state.engine.dispose()  # close the pooled connections (a PostgreSQL server counts them)


async def _catalog_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CatalogError)
    if is_api(request):
        return json_response(error_body(exc), status=exc.status)
    return render(request, "errors/error.html", {"error": exc}, status=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "no such page" if exc.status_code == 404 else str(exc.detail)
    error = for_http_status(exc.status_code, message)  # 400: e.g. a multipart body without its boundary
    return await _catalog_error(request, error)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    error = ServerError("the server failed to answer this request; it has been logged")
    if is_api(request):
        response: Response = json_response(error_body(error), status=500)
    else:
        response = render(request, "errors/error.html", {"error": error}, status=500)
    # this answer comes from outside the middleware stack: give it the same headers
    for name, value in SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


# The domain's rules that templates ask, beside the permissions web.py gives them.
TEMPLATE_RULES = {
    "is_public": listing_states.is_public,
    "is_listed": listing_states.is_listed,
    "awaiting_answer": request_workflow.AWAITING_ANSWER,
}


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the ASGI application for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    hooks.install()
    auth.use_password_hashing(settings.password_hashing)
    engine = db.make_engine(settings.database_url)
    routes = [
        *dcat.routes,  # first: /products/{slug}.ttl would otherwise be taken for a product called x.ttl
        *portal_routes.routes,
        *products_routes.routes,
        *requests_routes.routes,  # before the workspace's /owner/{kinds}/{key}
        *datasets_routes.routes,
        *listings_routes.routes,  # after them: /owner/{kinds}/{key} would take /owner/products/new
        *organizations_routes.routes,
        *authorizations_routes.routes,
        *registrations_routes.routes,
        *stats_routes.routes,
        *listings_api.routes,
        *products_api.routes,
        *datasets_api.routes,
        *organizations_api.routes,
        *licences_api.routes,
        *authorizations_api.routes,
        *registrations_api.routes,
        *stats_api.routes,
        *requests_api.routes,
        *audit_routes.routes,
        *admin_routes.routes,
        *admin_manage.routes,
        *admin_imports.routes,
        *admin_authorizations.routes,
        *openapi.routes,
        *ckan.routes,
        *dsp.routes,
        *feeds.routes,
        *datapackage.routes,
        Mount("/static", app=StaticFiles(directory=str(settings.static_dir)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=stack(settings, authenticator=auth),
        exception_handlers={
            CatalogError: _catalog_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.templates = make_environment(settings, TEMPLATE_RULES)
    app.state.indexer = Indexer(engine, settings.index_dir)
    # per client: sign-in failures (beyond the per-account lockout), reset requests, registrations
    app.state.login_throttle = Throttle(limit=settings.login_max_failures * 4, window=15 * 60)
    app.state.reset_throttle = Throttle(limit=5, window=15 * 60)
    app.state.register_throttle = Throttle(limit=10, window=15 * 60)
    app.state.views = ViewCounter()
    app.state.search = CatalogSearch(app.state.indexer, engine, settings.search_cache_size)
    return app
