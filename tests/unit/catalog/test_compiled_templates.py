"""Templates are compiled once per process, whatever the number of apps (the tests make hundreds)."""

from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader

from catalog.settings import Settings
from catalog.web import COMPILED_TEMPLATES, make_environment


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("compiled again")


def test_a_second_environment_reuses_what_the_first_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.from_env({"CATALOG_DATA_DIR": str(tmp_path / "var")})
    first = make_environment(settings)
    first.get_template("errors/error.html")
    second = make_environment(settings)
    monkeypatch.setattr(second, "compile", _refuse)
    assert second.get_template("errors/error.html").name == "errors/error.html"


def test_an_edited_template_is_compiled_again(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("one {{ n }}", encoding="utf-8")

    def render() -> str:
        env = Environment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=COMPILED_TEMPLATES)
        return env.get_template("page.html").render(n=1)

    assert render() == "one 1"
    page.write_text("two {{ n }}", encoding="utf-8")
    assert render() == "two 1"
