"""The ASGI layers around the routes, outermost first: security headers (and Secure cookies over
HTTPS), NUL characters kept out of addresses, the request-body limit, CSRF (asgi-csrf), signed
sessions (Starlette), and the actor of the request (session or bearer token)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any, Protocol

from asgi_csrf import asgi_csrf
from itsdangerous import BadSignature
from itsdangerous.url_safe import URLSafeSerializer
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import FormParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from catalog import db
from catalog.errors import BadRequest, CatalogError, CsrfFailed, NotFound, TooLarge, Unauthorized
from catalog.permissions import ANONYMOUS, Actor
from catalog.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "csrftoken"
SESSION_COOKIE = "session"

# Everything the pages need ships with the service: no other origin is allowed for anything.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


PRIVATE_PREFIXES = ("/admin", "/api/v1/audit")


SHARED_PREFIXES = ("/static/", "/favicon.ico")  # files whose answer does not depend on who asks


class SecurityHeaders:
    """Adds the security headers to every response, and ``Secure`` to cookies sent over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        # what administrators see (every draft, accounts, exports) stays out of shared and browser caches
        private = scope.get("path", "").startswith(PRIVATE_PREFIXES)
        state = scope.setdefault("state", {})  # shared with the middleware inside, which finds the actor
        shared = scope.get("path", "").startswith(SHARED_PREFIXES)  # the same files for everyone

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v + b"; Secure" if https and k == b"set-cookie" and b"secure" not in v.lower() else v)
                    for k, v in message.get("headers", [])
                ]
                present = {k for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if state.get("actor", ANONYMOUS) is not ANONYMOUS and not shared:  # made for who asked
                    headers = [(k, v) for k, v in headers if k != b"cache-control"]
                    headers.append((b"cache-control", b"private, no-store"))
                elif private and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class NoNul:
    """No text holds the NUL character (U+0000), and PostgreSQL cannot even compare with it: a path
    with one names nothing (404), and it is dropped from the query string, as search drops control
    characters. (Request bodies are checked where they are read, in ``catalog.web``.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if "\x00" in scope["path"]:
                await _send_error(scope, send, NotFound("no such page"))
                return
            query = scope.get("query_string", b"")
            if b"%00" in query or b"\x00" in query:
                scope = {**scope, "query_string": query.replace(b"%00", b"").replace(b"\x00", b"")}
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, by Content-Length or as they stream in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await _send_error(scope, send, TooLarge(self._message()))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _send_error(scope, send, TooLarge(self._message()))

    def _message(self) -> str:
        return f"the request body is larger than the limit of {self.limit // 1024} KB"


class _TooLarge(Exception):
    pass


class Authenticator(Protocol):
    """Who a request's credentials name (``catalog.accounts.auth`` is the one the app passes in)."""

    def token_actor(self, session: Any, token: str) -> Actor:
        """The actor of an API token (401 ``Unauthorized`` when it is not a live one)."""
        ...

    def session_actor(self, session: Any, hours: int, user_id: int, raw: str) -> Actor | None:
        """The actor of a signed session, or None when it has ended."""
        ...


class Authentication:
    """Puts the request's actor in ``request.state.actor``: from ``Authorization: Bearer`` (an API
    token) or the signed session; anonymous otherwise. A bad bearer token answers 401 at once."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine = scope["app"].state.engine
        state = scope.setdefault("state", {})
        state["actor"] = ANONYMOUS
        header = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
        session = scope.get("session", {})
        try:
            scheme, _, token = header.partition(" ")
            if scheme.lower() == "bearer":  # other schemes (a proxy's Basic auth) are not ours to read
                if not token.strip():
                    raise Unauthorized("send the API token as 'Authorization: Bearer <token>'")
                state["actor"] = await run_in_threadpool(
                    _in_transaction, engine, self.auth.token_actor, token.strip()
                )
            elif "user" in session:
                user_id, raw = _pair(session["user"])
                hours = scope["app"].state.settings.session_hours
                actor = None
                if isinstance(user_id, int) and isinstance(raw, str):
                    actor = await run_in_threadpool(
                        _in_transaction, engine, self.auth.session_actor, hours, user_id, raw
                    )
                if actor is None:  # ended, expired, or the account disabled: the session is over
                    session.clear()
                else:
                    state["actor"] = actor
        except CatalogError as error:
            await _send_error(scope, send, error)
            return
        await self.app(scope, receive, send)


def _pair(value: Any) -> tuple[Any, Any]:
    return (value[0], value[1]) if isinstance(value, list) and len(value) == 2 else (None, None)


def _in_transaction(engine: Any, service: Callable[..., Any], *args: Any) -> Any:
    with db.session_scope(engine) as session:
        return service(session, *args)


async def _send_error(scope: Scope, send: Send, error: CatalogError) -> None:
    """A JSON error for the API, a short page otherwise (these answer before any route runs); the
    code and the status are the error class's."""
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": {"code": error.code, "message": error.message}}).encode()
        content_type = b"application/json"
    else:
        body = _PAGE.format(message=_escape(error.message)).encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>请求未能完成 · Request refused</title><link rel="stylesheet" href="/static/css/site.css"></head>
<body><main id="main" class="wrap"><h1>请求未能完成 <span lang="en">Request refused</span></h1>
<p lang="en">{message}</p><p><a href="/">首页 / Home</a></p>
</main></body></html>"""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


async def _csrf_failed(scope: Scope, send: Send, message_id: Any) -> None:
    await _send_error(
        scope,
        send,
        CsrfFailed(
            "the form's security token is missing or out of date (CSRF): reload the page and submit it again"
        ),
    )


def _csrf(app: ASGIApp, secret: str) -> ASGIApp:
    protected: ASGIApp = asgi_csrf(  # asgi_csrf has no type hints: its app is Any to mypy
        app,
        signing_secret=secret,
        cookie_name=CSRF_COOKIE,
        always_protect={"/login", "/register", "/password-reset"},
        skip_if_scope=_read_only_post,
        send_csrf_failed=_csrf_failed,
    )
    return protected


# POSTs that only read (the CKAN actions and the Dataspace Protocol's catalog request): harvesters and
# connectors behind proxies may carry cookies, and there is nothing for a forged request to change
READ_ONLY_POSTS = ("/api/action/", "/api/3/action/", "/dsp/catalog/request")


def _read_only_post(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith(READ_ONLY_POSTS)


class CSRF:
    """asgi-csrf as a Starlette middleware class: a ``csrftoken`` form field (or ``X-CSRFToken``
    header) must match the signed cookie on every unsafe request that carries cookies; requests with
    ``Authorization: Bearer`` are exempt (they carry no ambient credentials)."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        async def reached(scope: Scope, receive: Receive, send: Send) -> None:
            if _PASSED in scope:
                scope[_PASSED].append(True)  # the check passed: what follows is the application's own
            await app(scope, receive, send)

        self.app = _csrf(reached, secret)
        self._signer = URLSafeSerializer(secret)

    def _matches_cookie(self, cookie: bytes, token: str) -> bool:
        """The form's token is the signed token of the request's CSRF cookie (asgi-csrf's own check)."""
        jar = SimpleCookie()
        try:
            jar.load(cookie.decode("utf-8"))
            expected = jar[CSRF_COOKIE].value
            self._signer.loads(expected, "csrftoken")
        except (KeyError, CookieError, BadSignature, UnicodeDecodeError):
            return False
        return secrets.compare_digest(expected, token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        cookie = next((v for k, v in headers if k == b"cookie"), b"")
        try:
            cookie.decode("utf-8")
        except UnicodeDecodeError:
            if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
                await _send_error(scope, send, BadRequest("the request's cookies could not be read"))
                return
            # reading a page: ignore the unreadable cookies (one planted by a sibling domain, say)
            scope = {**scope, "headers": [(k, v) for k, v in headers if k != b"cookie"]}
        content_type = next((v for k, v in headers if k == b"content-type"), b"")
        bearer = next((v for k, v in headers if k == b"authorization"), b"").lower().startswith(b"bearer ")
        if (
            cookie
            and not bearer  # asgi-csrf lets bearer-token requests through: they carry no ambient credential
            and content_type.startswith(b"multipart/form-data")
            and scope["method"] not in ("GET", "HEAD")
        ):
            # asgi-csrf 0.11 cannot read multipart bodies with python-multipart 0.0.26+ (the release
            # with its security fixes; simonw/asgi-csrf#38): find the form's token here and pass it
            # on as the header asgi-csrf checks against the signed cookie.
            messages, token = await _multipart_token(receive, content_type)
            if token is None or not self._matches_cookie(cookie, token):
                await _csrf_failed(scope, send, None)  # never reaches asgi-csrf's broken multipart path
                return
            scope = {
                **scope,
                "headers": [*scope["headers"], (b"x-csrftoken", token.encode("latin-1", "replace"))],
            }
            receive = _replay(messages, receive)
        passed: list[bool] = []
        try:
            await self.app({**scope, _PASSED: passed}, receive, send)
        except (UnicodeDecodeError, IndexError, ValueError, CookieError):
            # asgi-csrf could not read the form body or multipart boundary: the request is bad, not
            # the server. An error raised once the check passed is the application's: re-raised.
            if passed:
                raise
            await _send_error(scope, send, BadRequest("the request's form body could not be read"))


_PASSED = "catalog.csrf_passed"


async def _multipart_token(receive: Receive, content_type: bytes) -> tuple[list[Message], str | None]:
    """Read a multipart body (already bounded by ``BodyLimit``); its messages and its ``csrftoken``."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    messages: list[Message] = []
    found: list[str] = []

    def on_field(field: Any) -> None:
        if field.field_name == b"csrftoken" and field.value is not None:
            found.append(field.value.decode("utf-8", "replace"))

    parser = (
        FormParser("multipart/form-data", on_field, lambda _file: None, boundary=boundary)
        if boundary
        else None
    )
    more = True
    while more:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        if parser is not None and not found:
            try:
                parser.write(message.get("body", b""))
            except MultipartParseError:
                parser = None
        more = message.get("more_body", False)
    return messages, (found[0] if found else None)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


def stack(settings: Settings, authenticator: Authenticator) -> list[Middleware]:
    """The middleware list for Starlette, outermost first; ``authenticator`` finds each request's actor."""
    return [
        Middleware(SecurityHeaders),
        Middleware(NoNul),
        Middleware(BodyLimit, limit=settings.max_body_kb * 1024),
        Middleware(CSRF, secret=settings.secret_key),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_hours * 3600,
            same_site="lax",
            https_only=False,  # SecurityHeaders adds Secure on HTTPS requests
        ),
        Middleware(Authentication, authenticator=authenticator),
    ]
