"""The layering of the code, read from its imports (ast, nothing is imported): the one place where the
rule between layers is written down. README's "Architecture" section describes the same layers.

From the bottom up:
- ``search_index``: the search engine adapter; imports nothing of ``catalog``.
- foundation: engine and sessions, errors, settings, i18n, validation, permissions, rendering and
  middleware; imports only the foundation (never a part of the domain).
- rules: each domain package's lifecycle tables and value rules (``states``, ``workflow``,
  ``credit_code``), which models and services share; import only the foundation and other rules.
- models: each domain package's tables; import the foundation, the rules and other models.
- domain: services, workflows, queries and the rest of each domain package; never a door or an entry.
- doors: the pages (``routes``), the JSON API (``api``) and the packages that are only doors
  (``interop``, ``portal``, ``admin``); no door imports another package's ``routes`` or ``api``.
- entries: the app factory, the CLI and what only they run (seeding, bench, backup); nothing below
  imports them.
And no import cycle between modules, whatever their layers.
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

FOUNDATION = {
    "catalog",
    "catalog.db",
    "catalog.errors",
    "catalog.i18n",
    "catalog.middleware",
    "catalog.models_base",
    "catalog.pagination",
    "catalog.permissions",
    "catalog.sealing",
    "catalog.settings",
    "catalog.sheets",
    "catalog.validation",
    "catalog.vocabularies",
    "catalog.workdays",
    "catalog.web",
}
RULE_MODULES = {"states", "workflow", "credit_code"}
DOOR_PACKAGES = {"catalog.interop", "catalog.portal", "catalog.admin"}
DOOR_MODULES = {"routes", "api"}
ENTRY_PACKAGES = {"catalog.bench", "catalog.backup"}
ENTRY_MODULES = {"catalog.app", "catalog.cli", "catalog.__main__", "catalog.seeding", "catalog.models"}

# Which layers each layer may import (its own included).
MAY_IMPORT = {
    "search_index": {"search_index"},
    "foundation": {"foundation"},
    "rules": {"foundation", "rules"},
    "models": {"foundation", "rules", "models"},
    "domain": {"search_index", "foundation", "rules", "models", "domain"},
    "door": {"search_index", "foundation", "rules", "models", "domain", "door"},
    "entry": {"search_index", "foundation", "rules", "models", "domain", "door", "entry"},
}
LAYERS = tuple(MAY_IMPORT)  # bottom up, for the messages


def package_of(module: str) -> str:
    """``catalog.products.services`` -> ``catalog.products``; ``catalog.web`` -> ``catalog``."""
    if module.startswith("search_index"):
        return "search_index"
    parts = module.split(".")
    return ".".join(parts[:2]) if (PROJECT_ROOT / Path(*parts[:2])).is_dir() else parts[0]


def layer_of(module: str) -> str:
    last = module.rsplit(".", 1)[-1]
    package = package_of(module)
    if package == "search_index":
        return "search_index"
    if module in FOUNDATION:
        return "foundation"
    if module in ENTRY_MODULES or package in ENTRY_PACKAGES:
        return "entry"
    if package in DOOR_PACKAGES or last in DOOR_MODULES:
        return "door"
    if last in RULE_MODULES:
        return "rules"
    if last == "models":
        return "models"
    return "domain"


def module_files() -> dict[str, Path]:
    """Every module of the two packages, but the migrations (run by Alembic, not imported)."""
    found = {}
    for top in ("catalog", "search_index"):
        for path in sorted((PROJECT_ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported(path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The project's modules that ``path`` imports (``from a import b`` is module ``a.b`` when that is
    a module, else ``a``), at any depth of the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                for a in node.names
            ]
        else:
            continue
        yield from (name for name in names if name in modules)


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: set(imported(path, modules)) - {name} for name, path in modules.items()}


def upward_edges(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for source, targets in graph.items():
        for target in sorted(targets):
            source_layer, target_layer = layer_of(source), layer_of(target)
            if target_layer not in MAY_IMPORT[source_layer]:
                found.append(f"{source} ({source_layer}) imports {target} ({target_layer})")
            elif (
                target.rsplit(".", 1)[-1] in DOOR_MODULES
                and package_of(target) != package_of(source)
                and layer_of(source) != "entry"
            ):
                found.append(f"{source} imports another package's door {target}")
    return found


def a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle (its modules, the first again at the end), or [] when there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


def test_no_module_imports_a_higher_layer_or_another_packages_door() -> None:
    assert upward_edges(import_graph()) == []


def test_no_import_cycles_between_modules() -> None:
    assert a_cycle(import_graph()) == []


def test_the_rule_sees_an_upward_edge_and_a_cycle() -> None:
    graph = {
        "catalog.db": {"catalog.products.services"},
        "catalog.products.services": {"catalog.db", "catalog.accounts.routes"},
        "catalog.accounts.routes": set(),
    }
    assert upward_edges(graph) == [
        "catalog.db (foundation) imports catalog.products.services (domain)",
        "catalog.products.services (domain) imports catalog.accounts.routes (door)",
    ]
    assert sorted(set(a_cycle(graph))) == ["catalog.db", "catalog.products.services"]


def test_every_module_has_a_layer() -> None:
    graph = import_graph()
    assert len(graph) > 100  # the walk found the tree
    assert {layer_of(m) for m in graph} == set(LAYERS)


def test_the_foundation_the_doors_rest_on_imports_no_part_of_the_domain() -> None:
    """Permissions, errors, rendering, middleware and validation answer from what they are given."""
    for module in ("permissions", "errors", "web", "middleware", "validation", "db"):
        assert layer_of(f"catalog.{module}") == "foundation"
    assert MAY_IMPORT["foundation"] == {"foundation"}
