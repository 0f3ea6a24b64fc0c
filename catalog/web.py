"""Rendering pages and JSON: templates, language, errors, and running services off the event loop."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar, get_origin
from urllib.parse import quote, urlencode

from jinja2 import BytecodeCache, Environment, FileSystemLoader, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from catalog import i18n
from catalog.db import CHANGES_LOGGED, session_scope
from catalog.errors import BadRequest, CatalogError, Invalid
from catalog.i18n import N_
from catalog.permissions import ANONYMOUS, TEMPLATE_PREDICATES, Actor
from catalog.settings import Settings
from catalog.validation import JsonTooDeep, holds_nul, load_json
from catalog.vocabularies import label

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
P = ParamSpec("P")


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per process and shared by every environment it makes: a server makes one
    per worker, but the tests make hundreds, which compiled each page again (50-100 ms a page). Jinja
    keys an entry by the template's name and file and checks it against its source's checksum, so an
    edited template is compiled again; the environments differ only in their globals, which compiled
    code looks up when it runs."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def make_environment(settings: Settings, rules: Mapping[str, Any] | None = None) -> Environment:
    """The templates' environment; ``rules`` are the domain's rules that templates ask (the app
    factory passes them: this module sits below the domain and cannot import them)."""
    env = Environment(
        loader=FileSystemLoader(str(settings.templates_dir)),
        bytecode_cache=COMPILED_TEMPLATES,
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]  # jinja2.ext.i18n adds this method
    env.globals.update(
        label=lambda vocabulary, value: label(vocabulary, value, i18n.current_language.get()),
        pick=pick,
        settings=settings,
        # for messages that are data (errors, field messages): a plain string, escaped like any other
        # (``_()`` in a template marks its result as safe HTML, so it is only for literal text)
        translate=i18n.gettext,
        **TEMPLATE_PREDICATES,  # who may do what, asked as the services ask it
    )
    env.globals.update(rules or {})
    env.filters["json_script"] = json_script
    return env


def pick(zh: str | None, en: str | None) -> str:
    """The English text on English pages when there is one, else the Chinese."""
    if i18n.current_language.get() == "en" and en:
        return en
    return zh or en or ""


def json_script(value: Any) -> Markup:
    """JSON safe to place inside a ``<script>`` element (no tag, comment or line separator can end it)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    for character, escaped in JSON_SCRIPT_ESCAPES:
        text = text.replace(character, escaped)
    return Markup(text)


JSON_SCRIPT_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def actor_for(request: Request) -> Actor:
    """The actor of a request, found by the ``Authentication`` middleware (anonymous without one)."""
    return getattr(request.state, "actor", ANONYMOUS)


def csrf_token(request: Request) -> str:
    """The token every state-changing form carries (as the ``csrftoken`` field)."""
    make = request.scope.get("csrftoken")
    return make() if make else ""


async def call(request: Request, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``service(session, *args)`` in the thread pool inside one transaction."""
    engine = request.app.state.engine

    def run() -> tuple[T, bool]:
        with session_scope(engine) as session:
            result = service(session, *args, **kwargs)
        return result, bool(session.info.get(CHANGES_LOGGED))

    result, changed = await run_in_threadpool(run)
    if changed:  # a write to searchable data: bring this process's index up to date before answering
        await run_in_threadpool(request.app.state.indexer.catch_up)
    return result


def query_model(request: Request, model: type[M], **overrides: Any) -> M:
    """Validate the query string into ``model``; repeated names (``?sector=a&sector=b``) become lists
    where the model's field is a list."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if get_origin(field.annotation) is list:
            values = [v for v in request.query_params.getlist(name) if v]
            if values:
                data[name] = values
        elif request.query_params.get(name) not in (None, ""):
            data[name] = request.query_params[name]
    data.update(overrides)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "query": e["msg"] for e in exc.errors()}
        raise Invalid("the query has invalid parameters: " + ", ".join(fields), fields=fields) from None


def refuse_nul(value: T) -> T:
    """``value`` (text, or JSON's lists and objects of it), unless some text holds the NUL character,
    which no text needs and PostgreSQL cannot store: 400 ``bad_request`` then."""
    if holds_nul(value):
        raise BadRequest("text may not hold the NUL character (U+0000)")
    return value


async def form_data(request: Request) -> dict[str, str]:
    """A submitted form as single values; empty fields are left out, so they count as missing (the
    body size is limited by the ``BodyLimit`` middleware)."""
    async with request.form(max_files=0, max_fields=200) as form:
        return refuse_nul(
            {k: v for k, v in form.items() if isinstance(v, str) and v.strip() and k != "csrftoken"}
        )


async def json_body(request: Request) -> Any:
    """The request's JSON body; 400 ``bad_request`` when it is not JSON (or nested too deep)."""
    try:
        body = load_json(await request.body() or b"null")
    except JsonTooDeep as exc:
        raise BadRequest(f"the request body is {exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request body is not valid JSON") from None
    return refuse_nul(body)


async def form_lists(request: Request) -> dict[str, list[str]]:
    """A submitted form with every value of each field (multiple selects, checkboxes)."""
    async with request.form(max_files=0, max_fields=1000) as form:
        out: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str) and key != "csrftoken":
                out.setdefault(key, []).append(value)
        return refuse_nul(out)


async def read_upload(request: Request, field: str, limit: int) -> tuple[str, bytes]:
    """The file of a multipart form field (required), refusing it past ``limit`` bytes without
    reading it all."""
    _, upload = await form_and_file(request, field, limit)
    if upload is None:
        raise Invalid(N_("Choose a CSV or XLSX file."), fields={field: N_("Choose a CSV or XLSX file.")})
    return upload


async def form_and_file(
    request: Request, field: str, limit: int
) -> tuple[dict[str, list[str]], tuple[str, bytes] | None]:
    """A form's values and its one optional file (read up to ``limit`` + 1 bytes, so that a larger
    one is recognized without being read whole)."""
    values: dict[str, list[str]] = {}
    upload: tuple[str, bytes] | None = None
    try:
        async with request.form(max_files=1, max_fields=100, max_part_size=1024 * 1024) as form:
            for key, value in form.multi_items():
                if isinstance(value, str):
                    if key != "csrftoken":
                        values.setdefault(key, []).append(value)
                elif key == field and value.filename:
                    upload = (refuse_nul(value.filename), await value.read(limit + 1))
    except MultiPartException as exc:
        raise Invalid(str(exc), fields={field: str(exc)}) from None
    return refuse_nul(values), upload


async def json_object(request: Request, what: str, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """The request's JSON body, which must be an object (422 otherwise), less the ``without`` keys."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Invalid(f"send the {what} as a JSON object", fields={"body": "expected an object"})
    return {k: v for k, v in body.items() if k not in without}


# What the listing lifecycle sets and a draft's JSON never does.
LIFECYCLE_FIELDS = ("status", "listed_at")


def redirect(url: str) -> Response:
    """See other: after a successful POST, the browser GETs ``url``."""
    return RedirectResponse(url, status_code=303)


def path_for(
    request: Request,
    name: str,
    /,
    *,
    query: Mapping[str, str] | None = None,
    fragment: str | None = None,
    **params: Any,
) -> str:
    """The path of the route ``name`` with its path ``params`` (without scheme or host, as templates'
    ``url_for`` gives it), and a query and a fragment."""
    url = str(request.app.url_path_for(name, **params))
    if query:
        url += "?" + urlencode(query)
    if fragment:
        url += "#" + fragment
    return url


def route_name(request: Request) -> str:
    """The name of the route that matched the request (Starlette's router records it in the scope)."""
    name: str = request.scope["route"].name
    return name


def redirect_to(
    request: Request,
    name: str,
    /,
    *,
    query: Mapping[str, str] | None = None,
    fragment: str | None = None,
    **params: Any,
) -> Response:
    """See other, to the route ``name`` with its path ``params`` (and a query and a fragment)."""
    return redirect(path_for(request, name, query=query, fragment=fragment, **params))


def sign_in_url(request: Request) -> str:
    """The sign-in page, which brings the visitor back to this page afterwards."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return path_for(request, "accounts.login") + "?next=" + quote(path, safe="")


def signed_in(
    handler: Callable[Concatenate[Request, Actor, P], Awaitable[Response]],
) -> Callable[Concatenate[Request, P], Awaitable[Response]]:
    """The sign-in gate of a page: ``handler(request, actor, …)`` runs for a signed-in actor; an
    anonymous visitor is sent to sign in and brought back."""

    @functools.wraps(handler)
    async def page(request: Request, /, *args: P.args, **kwargs: P.kwargs) -> Response:
        actor = actor_for(request)
        if actor.user_id is None:
            return redirect(sign_in_url(request))
        return await handler(request, actor, *args, **kwargs)

    return page


def url_with(request: Request, **changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        params.extend((key, v) for v in (value if isinstance(value, list | tuple) else [value]))
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """Render a template in the request's language (remembering an explicit choice in a cookie)."""
    settings: Settings = request.app.state.settings
    language, explicit = i18n.requested_language(request, settings.default_language)
    token = i18n.current_language.set(language)
    try:
        html = request.app.state.templates.get_template(name).render(
            request=request,
            lang=language,
            url_with=lambda **c: url_with(request, **c),
            # a route's path by its name, without scheme or host: url_for("products.detail", slug=...)
            url_for=lambda name, **params: path_for(request, name, **params),
            actor=actor_for(request),
            csrf_token=lambda: csrf_token(request),
            **context,
        )
    finally:
        i18n.current_language.reset(token)
    response = HTMLResponse(html, status_code=status)
    if explicit:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
    return response


def json_response(data: Any, status: int = 200) -> JSONResponse:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    return JSONResponse(data, status_code=status)


def error_body(error: CatalogError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, Invalid) and error.fields:
        body["fields"] = error.fields
    # the steps one may take; the open request a duplicate names; the datasets outside an authorization;
    # the fee cap a price is over
    for detail in ("allowed", "existing", "datasets", "cap"):
        if detail in error.details:
            body[detail] = error.details[detail]
    return {"error": body}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")
