"""Documentation stays true: every setting and command is in README, CI runs README's test command."""

import re

from click import Group

from catalog.cli import main
from catalog.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    source = (PROJECT_ROOT / "catalog" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"(CATALOG_[A-Z_]+)"', source))
    assert names and all(f"`{name}`" in README for name in names)


def test_every_command_is_documented() -> None:
    assert isinstance(main, Group)
    assert all(f"`catalog {name}" in README for name in main.commands)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in README
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert quick_start.count("```sh") == 2 and "catalog serve --demo" in quick_start


def test_every_package_is_in_the_architecture() -> None:
    packages = {p.parent.name for p in (PROJECT_ROOT / "catalog").glob("*/__init__.py")}
    architecture = README.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    assert packages and {name for name in packages if f"| `{name}` |" not in architecture} == set()
