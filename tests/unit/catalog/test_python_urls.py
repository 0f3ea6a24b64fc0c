"""Python code builds the site's own URLs from route names (``request.app.url_path_for`` through
``web.path_for``/``web.redirect_to``) or, where no request is at hand, from the helpers of
``catalog/listings/urls.py``; it writes no path of the site out. The rule is written once, here (ast:
nothing is imported but the app, to learn its routes)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import pytest
from starlette.routing import BaseRoute, Mount, Route

from catalog.app import create_app
from catalog.settings import PROJECT_ROOT
from tests.conftest import make_settings

CATALOG = PROJECT_ROOT / "catalog"

# The one module that writes the site's paths out, beside the Route declarations themselves.
URL_HELPERS = "listings/urls.py"

# What must stay literal, and why (module, the literal's start).
ALLOWED = {
    # OpenAPI's path table documents the API in OpenAPI's own template syntax; test_openapi checks
    # it against the routes
    ("interop/openapi.py", "/api/v1/"),
    # the middleware works on the raw ASGI path before any route is matched (private prefixes, the
    # CSRF exemptions, the API's JSON refusals) and its refusal page is plain HTML, rendered without
    # templates or the app (its stylesheet link sits inside that HTML, which this rule does not read)
    ("middleware.py", "/admin"),
    ("middleware.py", "/api/"),
    ("middleware.py", "/login"),
    ("middleware.py", "/register"),
    ("middleware.py", "/password-reset"),
    ("middleware.py", "/dsp/catalog/request"),
    ("middleware.py", "/static/"),  # files the same for everyone: cacheable whoever is signed in
    ("middleware.py", "/favicon.ico"),
    # an error page answers paths no route matched (404 included), so the API is told by its prefix
    ("web.py", "/api/"),
    # the Dataspace Protocol service's IRI is an identifier in the exports, not a page of the site
    ("interop/rdf.py", "/dsp"),
    # the benchmark is a client of a running server, sending the requests a visitor would
    ("bench/http.py", "/"),
    ("bench/compare.py", "/healthz"),
}

# Where a string starts to be a path (a constant, or a piece of an f-string): "/segment".
PATH = re.compile(r"^/([A-Za-z0-9._-]+)")


@pytest.fixture(scope="module")
def first_segments(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The first segment of every path the app routes (``products``, ``owner``, ``feed.atom`` …)."""
    app = create_app(make_settings(tmp_path_factory.mktemp("var")))
    return {segment for route in app.routes if (segment := _first_segment(route))}


def _first_segment(route: BaseRoute) -> str:
    path = route.path if isinstance(route, Route | Mount) else ""
    return path.strip("/").split("/")[0].split("{")[0]


def declared_paths(tree: ast.AST) -> set[int]:
    """The path arguments of ``Route(…)``/``Mount(…)`` declarations, which are where paths belong."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"Route", "Mount"}:
            paths = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "path")]
            found.update(id(part) for path in paths for part in ast.walk(path))  # f-strings' pieces too
    return found


def docstrings(tree: ast.AST) -> set[int]:
    """Bare strings (docstrings), which describe paths rather than build them."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def written_paths(source: str, segments: set[str]) -> Iterator[tuple[int, str]]:
    """The line and text of every string constant (or f-string piece) that starts with a path of the
    site, outside the Route declarations and docstrings."""
    tree = ast.parse(source)
    skip = declared_paths(tree) | docstrings(tree)
    for node in ast.walk(tree):
        if id(node) in skip or not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        match = PATH.match(node.value)
        if match and match[1] in segments:
            yield node.lineno, node.value


def allowed(module: str, text: str) -> bool:
    return any(module == where and text.startswith(start) for where, start in ALLOWED)


def modules() -> Iterator[tuple[str, str]]:
    for path in sorted(CATALOG.rglob("*.py")):
        module = path.relative_to(CATALOG).as_posix()
        if module != URL_HELPERS:
            yield module, path.read_text(encoding="utf-8")


def test_python_code_writes_no_path_of_the_site_out(first_segments: set[str]) -> None:
    offenders = [
        f"catalog/{module}:{line}: {text!r}"
        for module, source in modules()
        for line, text in written_paths(source, first_segments)
        if not allowed(module, text)
    ]
    assert not offenders, (
        "build these with web.path_for/web.redirect_to (a route's name) or a listings/urls.py helper: "
        + "; ".join(offenders)
    )


def test_the_rule_catches_a_path_in_a_string_and_in_an_f_string(first_segments: set[str]) -> None:
    source = '''
"""A docstring may name /products."""
routes = [Route("/owner/{kinds}/{key}", item), Route(f"/catalog.{fmt}", export)]
back = f"{base}/organizations/{slug}"
page = redirect("/account?revoked=1")
other = url.rstrip("/") + "/not-a-route" + "https://example.org/products"
'''
    assert list(written_paths(source, first_segments)) == [(4, "/organizations/"), (5, "/account?revoked=1")]


def test_every_allowance_is_still_needed(first_segments: set[str]) -> None:
    used = {
        (module, start)
        for module, source in modules()
        for _, text in written_paths(source, first_segments)
        for where, start in ALLOWED
        if module == where and text.startswith(start)
    }
    assert used == ALLOWED, f"remove these allowances: {sorted(ALLOWED - used)}"
