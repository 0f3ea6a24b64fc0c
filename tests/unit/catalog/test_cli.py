"""The catalog command on a real data dir."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.settings import Settings
from tests.conftest import catalog_env, make_settings


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command on an empty catalog: a data dir, and on PostgreSQL an empty database."""
    for name, value in catalog_env(settings).items():
        monkeypatch.setenv(name, value)
    return CliRunner()


@pytest.mark.slow
def test_init_seed_stats_and_reindex(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["init"]).exit_code == 0
    seeded = runner.invoke(main, ["seed"])
    assert seeded.exit_code == 0, seeded.output
    assert "products 3" in seeded.output
    stats = json.loads(runner.invoke(main, ["stats", "--json"]).output)
    assert stats["products"]["listed"] >= 250 and stats["datasets"]["listed"] >= 50
    again = runner.invoke(main, ["seed"])
    assert "products 0" in again.output
    reindexed = runner.invoke(main, ["reindex"])
    public = sum(
        stats[kind]["by_status"].get(s, 0)
        for kind in ("products", "datasets")
        for s in ("listed", "publicity")
    )
    assert reindexed.exit_code == 0 and f"indexed {public} public items" in reindexed.output


def test_invalid_setting_is_a_usage_error(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_TARGET_PRODUCTS", "lots")
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 2 and "CATALOG_TARGET_PRODUCTS" in result.output


@pytest.mark.both_backends
def test_serve_on_a_shared_database_warns_without_a_shared_secret_key(
    runner: CliRunner, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each node would sign sessions with its own generated key: signed in on one, signed out on the next."""
    import uvicorn

    started: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: started.append(kwargs))  # not serving here
    monkeypatch.delenv("CATALOG_SECRET_KEY", raising=False)
    assert runner.invoke(main, ["init"]).exit_code == 0
    unset = runner.invoke(main, ["serve", "--port", "8999"])
    monkeypatch.setenv("CATALOG_SECRET_KEY", "one-key-for-every-node-" + "k" * 24)
    shared = runner.invoke(main, ["serve", "--port", "8999"])
    assert unset.exit_code == shared.exit_code == 0 and len(started) == 2
    assert "CATALOG_SECRET_KEY" not in shared.output
    assert ("CATALOG_SECRET_KEY is not set" in unset.output) == (not settings.is_sqlite)


def test_the_command_loads_heavy_libraries_on_first_use() -> None:
    """Every ``catalog`` command imports the CLI: pinyin's phrase dictionary, the workbook reader and
    RDF load when a command first needs them, not for ``catalog users`` or ``catalog backup``."""
    heavy = ("pypinyin", "openpyxl", "rdflib")
    shown = subprocess.run(
        [sys.executable, "-c", f"import sys, catalog.cli; print(sorted(set({heavy!r}) & set(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.strip() == "[]"


# Every command of the quick-start install (no extras: no psycopg), in a process where psycopg cannot be
# imported: each one's --help, then a backup of a SQLite catalog and its restore.
WITHOUT_PSYCOPG = """
import sys
sys.modules["psycopg"] = None  # import psycopg now raises ImportError, as without the extra
from click.testing import CliRunner
from catalog.cli import main

def commands(group, path=()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))

runner = CliRunner()
for path in commands(main):
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0, (path, result.output, result.exception)
archive = sys.argv[1]
for args in (["backup", archive], ["restore", "--yes", archive]):
    result = runner.invoke(main, args)
    assert result.exit_code == 0, (args, result.output, repr(result.exception))
print("psycopg" in sys.modules and sys.modules["psycopg"] is None, len(list(commands(main))))
"""


def test_every_command_works_without_the_postgresql_driver(sqlite_template: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    shutil.copytree(sqlite_template, data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    env |= catalog_env(make_settings(data_dir))
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, str(tmp_path / "catalog.tar")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    blocked, commands = done.stdout.split()
    assert blocked == "True" and int(commands) >= 10
    assert (tmp_path / "catalog.tar").stat().st_size > 0
