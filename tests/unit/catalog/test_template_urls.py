"""Templates build the site's own URLs from route names (``url_for``), never by writing a path out, and
the names and parameters they use are the app's."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from jinja2 import nodes
from starlette.routing import Mount, Route

from catalog.app import create_app
from catalog.settings import PROJECT_ROOT, Settings
from catalog.web import make_environment
from tests.conftest import make_settings

TEMPLATES = PROJECT_ROOT / "templates"

# A path on this site written out: in the markup (href="/…", action="/…") or as a string in an
# expression ('/admin' ~ …). Every page, file and the static mount has a route name, so nothing here
# needs to stay literal; links to other sites (https://…, //host/…) are not paths of this site.
WRITTEN_IN_MARKUP = re.compile(r"""\b(?:href|action|formaction|src)\s*=\s*["']?/(?!/)""", re.IGNORECASE)


def is_path_string(value: object) -> bool:
    return isinstance(value, str) and value.startswith("/") and not value.startswith("//")


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("var"))


def templates(settings: Settings) -> Iterator[tuple[str, nodes.Template]]:
    env = make_environment(settings)
    for path in sorted(TEMPLATES.rglob("*.html")):
        yield str(path.relative_to(TEMPLATES)), env.parse(path.read_text(encoding="utf-8"))


def written_out(tree: nodes.Template) -> list[str]:
    """The site paths a template writes out instead of asking ``url_for``."""
    found = [
        data.data[match.start() : match.start() + 60]
        for data in tree.find_all(nodes.TemplateData)
        for match in WRITTEN_IN_MARKUP.finditer(data.data)
    ]
    found += [const.value for const in tree.find_all(nodes.Const) if is_path_string(const.value)]
    return found


def test_templates_write_no_path_of_the_site_out(app_settings: Settings) -> None:
    offenders = {name: found for name, tree in templates(app_settings) if (found := written_out(tree))}
    assert not offenders, f"use url_for('route.name', ...) for these: {offenders}"


def test_the_rule_catches_a_path_in_markup_and_in_an_expression(app_settings: Settings) -> None:
    env = make_environment(app_settings)
    source = """<a href="/products">x</a> <form action="{{ '/owner/' ~ key }}"></form>
        <a href="{{ url_for('products.list') }}">y</a> <a href="https://data.huaian.gov.cn/">z</a>"""
    assert written_out(env.parse(source)) == ['href="/products">x</a> <form action="', "/owner/"]


def route_names(call: nodes.Call) -> list[str]:
    """The route names a ``url_for`` call may ask for: a name, or either name of a conditional (any
    other expression gives none, and the test asks for names it can read)."""
    first = call.args[0] if call.args else None
    choices = [first.expr1, first.expr2] if isinstance(first, nodes.CondExpr) else [first]
    names = [choice.value for choice in choices if isinstance(choice, nodes.Const)]
    return names if len(names) == len(choices) else []


@pytest.fixture(scope="module")
def parameters(app_settings: Settings) -> dict[str, set[str]]:
    """Each route's name and its path parameters."""
    app = create_app(app_settings)
    return {
        route.name: set(route.param_convertors)
        for route in app.routes
        if isinstance(route, Route | Mount)  # every route of the app; the static files are a Mount
    }


def test_templates_name_existing_routes_with_their_parameters(
    app_settings: Settings, parameters: dict[str, set[str]]
) -> None:
    wrong = []
    for name, tree in templates(app_settings):
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name == "url_for"):
                continue
            given = {keyword.key for keyword in call.kwargs}
            if not route_names(call):
                wrong.append(f"{name}: write the route's name out in url_for, so that it can be checked")
            for route in route_names(call):
                if route not in parameters:
                    wrong.append(f"{name}: no route named {route!r}")
                elif call.dyn_kwargs is None and given != parameters[route]:
                    wrong.append(f"{name}: {route!r} takes {sorted(parameters[route])}, not {sorted(given)}")
    assert not wrong, wrong
