"""Browser tests: Debian's chromium driven by Playwright against a real ``catalog serve`` process.

One browser per session (installed by scripts/install-chromium when missing, else every browser test
is skipped with the reason), one seeded data dir per session (made with the ``catalog`` CLI), one
server per module on a private copy of it, and screenshots of every step under
var/test-artifacts/browser/<test>/ (``CATALOG_TEST_ARTIFACTS`` moves them).
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from catalog.cli import main as catalog_cli
from catalog.settings import PROJECT_ROOT
from tests.browser.journey import NOTES, Account, Journey

HERE = Path(__file__).parent
INSTALL_SCRIPT = PROJECT_ROOT / "scripts" / "install-chromium"
CHROMIUM = os.environ.get("CATALOG_TEST_CHROMIUM") or "/usr/bin/chromium"
INSTALL = os.environ.get("CATALOG_TEST_CHROMIUM_INSTALL", "1") != "0"
INSTALL_TIMEOUT = float(os.environ.get("CATALOG_TEST_CHROMIUM_INSTALL_TIMEOUT") or 600)
ARTIFACTS = Path(
    os.environ.get("CATALOG_TEST_ARTIFACTS") or PROJECT_ROOT / "var" / "test-artifacts" / "browser"
)

# The accounts the CLI creates in the seeded catalog (the enterprise registers itself in a test).
PROVIDER_CODE = "91320812MAFQ6JAY48"  # 淮安交控数智科技有限公司 (seed slug jkzs), an authorized operator
OWNER = Account("owner@jkzs.example.cn", "owner-pass-2026")
REVIEWER = Account("reviewer@port.example.cn", "reviewer-pass-2026")
ADMIN = Account("admin@port.example.cn", "admin-pass-2026")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: in Debian's chromium against a real server (tests/browser)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


FAILED = pytest.StashKey[bool]()  # the test's own outcome, for a last screenshot when it failed
_walked: list[str] = []  # the tests that took screenshots in this run


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _walked:
        terminalreporter.write_line(f"browser tests: screenshots of each step in {ARTIFACTS}")
    for note in NOTES:
        terminalreporter.write_line(f"browser tests: {note}")


def _install_chromium() -> str:
    """Run scripts/install-chromium, bounded in time; what it said, for the skip reason."""
    try:
        run = subprocess.Popen(
            [str(INSTALL_SCRIPT)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # so a timeout ends apt-get too, not only the script
        )
    except OSError as exc:
        return f"{INSTALL_SCRIPT} did not start: {exc}"
    try:
        output, _ = run.communicate(timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            output, _ = run.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            output, _ = run.communicate()
        return f"scripts/install-chromium stopped after {INSTALL_TIMEOUT:g} s: {_last_lines(output)}"
    return f"scripts/install-chromium exited {run.returncode}: {_last_lines(output)}"


def _last_lines(output: str) -> str:
    lines = [line.removeprefix("install-chromium: ") for line in output.strip().splitlines()]
    return " / ".join(lines[-3:])


def _has_chinese_font() -> bool:
    """Without one, chromium draws Chinese as boxes: the tests still hold, the screenshots do not."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(found.stdout.strip())


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's chromium (and a Chinese font), installed by the project's script when missing;
    the browser tests are skipped, with the reason, when there is still no browser."""
    if os.access(CHROMIUM, os.X_OK) and _has_chinese_font():
        return CHROMIUM
    said = _install_chromium() if INSTALL else "installing is off (CATALOG_TEST_CHROMIUM_INSTALL=0)"
    if not _has_chinese_font():
        NOTES.append(f"no Chinese font, so screenshots show boxes for Chinese; {said}")
    if os.access(CHROMIUM, os.X_OK):
        NOTES.append(said)
        return CHROMIUM
    pytest.skip(f"no browser at {CHROMIUM} (CATALOG_TEST_CHROMIUM); {said}")


@pytest.fixture(scope="package")
def browser(chromium_executable: str) -> Iterator[Browser]:
    """One browser for the browser tests, stopped when they are done: Playwright's sync API keeps an
    event loop running in this thread while it is started, and later tests call asyncio.run()."""
    playwright = sync_playwright().start()
    try:
        try:
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=["--no-sandbox", "--headless"], timeout=30_000
            )
        except PlaywrightError as exc:
            pytest.skip(f"chromium at {chromium_executable} does not start: {str(exc)[:300]}")
        yield browser
        browser.close()
    finally:
        playwright.stop()


def _catalog(data_dir: Path, *args: str) -> str:
    """Run a ``catalog`` command in this process (the real command, without an interpreter's start-up)."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CATALOG_")}
    env = {**unset, "CATALOG_DATA_DIR": str(data_dir)}
    result = CliRunner().invoke(catalog_cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, f"catalog {' '.join(args)}: {result.output}"
    return result.output


def _server_env(data_dir: Path) -> dict[str, str]:
    """The environment without the developer's own CATALOG_* settings (a PostgreSQL URL, say)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    return {**env, "CATALOG_DATA_DIR": str(data_dir)}


@pytest.fixture(scope="package")
def browser_catalog(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser, sqlite_template: Path
) -> Path:
    """A copy of the seeded catalog (SQLite, with its index) and the journeys' accounts, made with the
    CLI once (after the browser is known to start, so that a run without one skips first)."""
    data_dir = tmp_path_factory.mktemp("browser") / "var"
    shutil.copytree(sqlite_template, data_dir)
    _catalog(data_dir, "user", "create", ADMIN.email, "--password", ADMIN.password, "--admin")
    _catalog(data_dir, "user", "create", REVIEWER.email, "--password", REVIEWER.password, "--reviewer")
    _catalog(
        data_dir,
        "user",
        "create",
        OWNER.email,
        "--password",
        OWNER.password,
        "--org",
        PROVIDER_CODE,
        "--role",
        "owner",
    )
    with warnings.catch_warnings():  # the commands' engines, left to the garbage collector
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    connection = sqlite3.connect(data_dir / "catalog.sqlite3")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the whole catalog in one file, to copy
    connection.close()
    return data_dir


@dataclass(frozen=True)
class Server:
    base_url: str
    data_dir: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"catalog serve exited {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"catalog serve did not answer /healthz in 30 s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, browser_catalog: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """``catalog serve`` on 127.0.0.1 and a free port, on this module's own copy of the catalog."""
    data_dir = tmp_path_factory.mktemp("served") / "var"
    shutil.copytree(browser_catalog, data_dir)
    port = _free_port()
    log = data_dir.parent / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "catalog", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=_server_env(data_dir),
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process, log)
        yield Server(base_url, data_dir, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, ARTIFACTS / f"server-{request.module.__name__.rsplit('.', 1)[-1]}.log")
        except OSError as exc:
            NOTES.append(f"server log not kept: {exc}")


@pytest.fixture
def journey(request: pytest.FixtureRequest, browser: Browser, server: Server) -> Iterator[Journey]:
    name = re.sub(r"[^\w.-]+", "-", request.node.name)
    walk = Journey(browser, server.base_url, ARTIFACTS / name)
    _walked.append(name)
    yield walk
    walk.close(failed=request.node.stash.get(FAILED, False))
