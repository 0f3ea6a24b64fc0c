"""Errors are declared, not patched: every code is a class of ``catalog/errors.py`` with its status."""

import ast
from pathlib import Path

from catalog import errors
from catalog.errors import CatalogError

CATALOG = Path(errors.__file__).parent


def _subclasses(cls: type[CatalogError]) -> list[type[CatalogError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_error_class_has_its_own_code_and_an_http_status() -> None:
    classes = [c for c in _subclasses(CatalogError) if c.__module__ == errors.__name__]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), sorted(codes)
    assert "error" not in codes  # the base's placeholder
    assert all(isinstance(c.status, int) and 400 <= c.status <= 599 for c in classes)


def test_every_error_class_is_declared_in_errors_py() -> None:
    # the app and the CLI load every module that could declare one
    import catalog.app
    import catalog.cli  # noqa: F401

    strays = [c for c in _subclasses(CatalogError) if c.__module__ != errors.__name__]
    assert strays == []


def test_declared_lists_every_error_class_of_errors_py() -> None:
    assert set(errors.declared()) == {c for c in _subclasses(CatalogError) if c.__module__ == errors.__name__}
    assert all(c.when for c in errors.declared())  # what the API reference says of it


def test_no_module_writes_a_declared_code_as_a_string() -> None:
    """A door that answers an error itself (the middleware, the Dataspace Protocol) takes the code and
    the status from the declared class, never from a literal."""
    codes = {c.code for c in errors.declared()}
    written = [
        f"{path.relative_to(CATALOG.parent)}:{node.lineno} {node.value}"
        for path in sorted(CATALOG.rglob("*.py"))
        if path != Path(errors.__file__)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in codes
    ]
    assert written == []


def test_the_api_reference_lists_every_declared_error_a_client_can_act_on() -> None:
    from catalog.interop.openapi import ERRORS

    client_errors = [c for c in errors.declared() if c.status < 500]
    assert set(ERRORS) == {c.status for c in client_errors}
    for c in client_errors:
        assert f"{c.code}: {c.when}" in ERRORS[c.status]


def test_http_statuses_map_to_declared_errors() -> None:
    assert errors.for_http_status(405, "x").code == "method_not_allowed"
    assert errors.for_http_status(404, "x").status == 404
    assert errors.for_http_status(418, "x").status == 400
    assert errors.for_http_status(503, "x").code == "server_error"


def test_no_code_sets_code_or_status_on_an_error() -> None:
    """Outside ``errors.py`` no assignment targets an attribute ``code`` or ``status`` of a name
    that holds an error (an error's ``status`` is its class's; rows keep their own ``status``)."""
    patched = []
    for path in sorted(CATALOG.rglob("*.py")):
        if path.name == "errors.py" and path.parent == CATALOG:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        errors_held = _error_names(tree)
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    targets += target.elts if isinstance(target, ast.Tuple) else [target]
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in ("code", "status")
                    and isinstance(target.value, ast.Name)
                    and target.value.id in errors_held
                ):
                    patched.append(f"{path.relative_to(CATALOG.parent)}:{node.lineno}")
    assert patched == []


def _error_names(tree: ast.AST) -> set[str]:
    """Names bound to an error: assigned a call of a name ending in Error or of a known error class,
    or caught by ``except … as name``."""
    known = {c.__name__ for c in _subclasses(CatalogError)} | {"CatalogError"}
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call | ast.IfExp):
            calls = [n for n in ast.walk(node.value) if isinstance(n, ast.Call)]
            called = {c.func.id for c in calls if isinstance(c.func, ast.Name)}
            called |= {c.func.attr for c in calls if isinstance(c.func, ast.Attribute)}
            if called & known or any(name.endswith("Error") for name in called):
                for target in node.targets:
                    for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                        if isinstance(t, ast.Name):
                            names.add(t.id)
    return names
