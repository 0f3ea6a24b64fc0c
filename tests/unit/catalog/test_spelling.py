"""One spelling (issue 16.7): ``licence`` in our code; ``license`` only where an outside standard or our
published interface spells it. Read from the sources (ast), nothing is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

# The Python names that may say "license", each because it is a name on the wire.
WIRE_NAMES = {
    # the published JSON API's answers, ProductSummary.license and ProductDetail.license_detail, and the
    # ?license= filter, ProductFilters.license (input models say licence, with the wire name as alias)
    "license",
    "license_detail",
    # CKAN's names: the license_list action (actions are named after their functions) and the
    # license_id field of its search language (Facts.license_id)
    "license_list",
    "license_id",
}


def defined_names(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every name the code gives something: functions, classes, parameters, variables, attributes
    assigned, import aliases and keyword arguments."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.lineno, node.name
        elif isinstance(node, ast.arg):
            yield node.lineno, node.arg
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.lineno, node.attr
        elif isinstance(node, ast.alias) and node.asname:
            yield node.lineno, node.asname
        elif isinstance(node, ast.keyword) and node.arg:
            yield node.value.lineno, node.arg


def misspelled(root: Path) -> list[str]:
    """``file:line: name`` for each name under ``root`` spelling ``license`` that is not a wire name."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for line, name in sorted(defined_names(ast.parse(path.read_text(encoding="utf-8")))):
            if "license" in name.lower() and name not in WIRE_NAMES:
                found.append(f"{path.relative_to(root.parent)}:{line}: {name}")
    return found


def test_code_spells_licence_except_for_wire_names() -> None:
    assert misspelled(PROJECT_ROOT / "catalog") == []


def test_a_new_name_spelling_license_is_found(tmp_path: Path) -> None:
    package = tmp_path / "catalog"
    package.mkdir()
    (package / "module.py").write_text(
        "class LicenseTerms: ...\n"
        "def show(license_code, license=None):\n"
        "    license_url = f(license=license_code)\n"
    )
    assert misspelled(package) == [
        "catalog/module.py:1: LicenseTerms",
        "catalog/module.py:2: license_code",
        "catalog/module.py:3: license_url",
    ]
