"""Shared fixtures: a fresh database and index per test, and one seeded catalog per backend and run.

Every test that uses a database fixture (``settings``, ``engine``, ``session``, ``seeded_template``,
``seeded_settings``, ``seeded_engine``, ``client`` or one built on them) runs on SQLite. Those marked
``both_backends``, whose outcome the database decides, run on PostgreSQL too when
``CATALOG_TEST_POSTGRES_URL`` (default: the local server) answers (tests/backends.py); the README's
"Tests" section says which and why. Tests marked ``sqlite_only`` are about SQLite itself. A data
dir on PostgreSQL is a folder (the index, uploads, the secret key) plus a database: ``make_settings``
and ``catalog_env`` find the database of a data dir, ``copy_data_dir`` copies both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient
from xdist.scheduler import LoadGroupScheduling

from catalog import db
from catalog.accounts import auth
from catalog.app import create_app
from catalog.errors import CatalogError
from catalog.indexing import hooks
from catalog.indexing.indexer import Indexer
from catalog.permissions import SYSTEM
from catalog.seeding import load_seed
from catalog.settings import PROJECT_ROOT, Settings
from tests import factories
from tests.backends import POSTGRES_URL_VARIABLE, POSTGRESQL, SQLITE, PostgresServer, configured_postgres

SEED_DIR = PROJECT_ROOT / "seed"

# the PostgreSQL database of each data dir that has one (the others use SQLite inside the folder)
_DATABASES: dict[Path, str] = {}
# the seeded catalog of each backend, built once per process (each xdist worker builds its own)
_SEEDED: dict[str, Path] = {}
_POSTGRES = pytest.StashKey[PostgresServer | None]()
_POSTGRES_PROBLEM = pytest.StashKey[str]()


# argon2 at its cheapest: the suite hashes and checks hundreds of passwords (0.17 s each at the standard
# cost); the standard parameters are pinned by tests/unit/accounts/test_auth_hashing.py
TEST_PASSWORD_HASHING = "fast"

# a test whose call takes longer is marked ``slow`` (``-m "not slow"`` is the quick loop); the summary
# names those that are not
SLOW_SECONDS = 3.0


def pytest_configure(config: pytest.Config) -> None:
    hooks.install()  # ChangeLog rows for every session, as the app factory and the CLI install them
    auth.use_password_hashing(TEST_PASSWORD_HASHING)  # for what the tests do without an app
    os.environ["CATALOG_PASSWORD_HASHING"] = TEST_PASSWORD_HASHING  # and the commands they start
    server = configured_postgres()
    problem = server.unreachable() if server else f"{POSTGRES_URL_VARIABLE} is empty"
    if server and problem:
        problem = f"not reachable at {server.shown} ({problem})"
        server = None
    config.stash[_POSTGRES] = server
    config.stash[_POSTGRES_PROBLEM] = problem or ""
    if server:
        server.drop_stale()


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_POSTGRES, None)
    if server:
        server.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that needs a database on SQLite, and also on PostgreSQL when it is marked
    ``both_backends`` (the database decides its outcome) and not ``sqlite_only``; a test marked
    ``postgresql_only`` runs on PostgreSQL alone, and is skipped with the reason where there is none."""
    if "backend" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker
        reachable = metafunc.config.stash[_POSTGRES] is not None
        backends: list[Any] = [SQLITE]
        if marked("postgresql_only"):
            skipped = pytest.mark.skip(f"postgresql: {metafunc.config.stash[_POSTGRES_PROBLEM]}")
            backends = [POSTGRESQL if reachable else pytest.param(POSTGRESQL, marks=skipped)]
        elif reachable and marked("both_backends") and not marked("sqlite_only"):
            backends.append(POSTGRESQL)
        metafunc.parametrize("backend", backends, indirect=True, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by folder: tests/unit -> unit, tests/functional -> functional, tests/browser -> slow.
    Note each database test's backend for the summary."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        for marker in ("unit", "functional"):
            if marker in parts:
                item.add_marker(getattr(pytest.mark, marker))
        callspec = getattr(item, "callspec", None)
        if callspec and "backend" in callspec.params:
            item.user_properties.append(("backend", callspec.params["backend"]))
        if "browser" in parts:
            item.add_marker(pytest.mark.slow)  # a real browser against a real server


BROWSER_TESTS = "tests/browser/"  # node ids start with the path from the root


class BrowserTogether(LoadGroupScheduling):  # type: ignore[misc]  # xdist's schedulers have no type hints
    """xdist's ``loadgroup``, with the browser tests as one group, by their folder."""

    def _split_scope(self, nodeid: str) -> str:
        return "browser" if nodeid.startswith(BROWSER_TESTS) else str(super()._split_scope(nodeid))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> BrowserTogether | None:
    """Under xdist (``-n 2 --dist loadgroup``) the tests go to whichever worker is free (each builds the
    seeded catalogs it needs once), but the browser tests go together to one worker, which starts one
    browser and one served catalog, and walks the journeys in order. They are grouped by their folder:
    pytest 9.2 drops the node id suffix by which xdist's own ``xdist_group`` marker groups tests
    (pytest-dev/pytest-xdist#1386)."""
    return BrowserTogether(config, log) if config.getvalue("dist") == "loadgroup" else None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Say which backends the database tests ran on, and why PostgreSQL was left out."""
    ran: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", "") != "call":
                continue
            backend = dict(getattr(report, "user_properties", ())).get("backend")
            if backend:
                ran[backend] = ran.get(backend, 0) + 1
    parts = [f"{name} ({count} tests)" for name, count in ran.items()]
    problem = config.stash.get(_POSTGRES_PROBLEM, "")
    if problem:
        parts.append(f"postgresql: {problem}, skipped")
    if parts:
        terminalreporter.write_line("backends: " + ", ".join(parts))
    _report_slow(terminalreporter)


def _report_slow(terminalreporter: pytest.TerminalReporter) -> None:
    """Keep the ``slow`` marks honest: say what the marked tests took, and name the tests that ran
    longer than ``SLOW_SECONDS`` without the mark (a note, not a failure: times vary by machine)."""
    marked, unmarked = [], []
    for report in terminalreporter.stats.get("passed", []):
        if getattr(report, "when", "") == "call":
            (marked if "slow" in report.keywords else unmarked).append(report)
    if not marked and not unmarked:
        return
    late = sorted((r for r in unmarked if r.duration > SLOW_SECONDS), key=lambda r: -r.duration)
    terminalreporter.write_line(
        f"slow: {len(marked)} tests marked slow ran {sum(r.duration for r in marked):.0f} s, "
        f"the other {len(unmarked)} {sum(r.duration for r in unmarked):.0f} s"
    )
    for report in late:
        terminalreporter.write_line(
            f"  over {SLOW_SECONDS:g} s and not marked slow: {report.nodeid} ({report.duration:.1f} s)"
        )


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The database of this run of the test: ``sqlite`` or ``postgresql``."""
    return request.param


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The URL of the test PostgreSQL server (its maintenance database), for the tests about PostgreSQL
    itself; skipped, with the reason, where none is configured or it does not answer."""
    server = request.config.stash[_POSTGRES]
    if server is None:
        pytest.skip(f"postgresql: {request.config.stash[_POSTGRES_PROBLEM]}")
    return server.url.render_as_string(hide_password=False)


def _postgres(request: pytest.FixtureRequest) -> PostgresServer:
    server = request.config.stash[_POSTGRES]
    assert server is not None
    return server


def _own_database(request: pytest.FixtureRequest, data_dir: Path, url: str) -> None:
    """``data_dir``'s database is ``url``, dropped when the requesting fixture ends."""
    _DATABASES[data_dir.resolve()] = url
    server = _postgres(request)

    def drop() -> None:
        _DATABASES.pop(data_dir.resolve(), None)
        server.release(url)

    request.addfinalizer(drop)


def make_settings(data_dir: Path, **env: str) -> Settings:
    """The settings of the catalog in ``data_dir`` (with its PostgreSQL database if it has one)."""
    url = _DATABASES.get(Path(data_dir).resolve())
    return Settings.from_env(
        {
            "CATALOG_DATA_DIR": str(data_dir),
            **({"CATALOG_DATABASE_URL": url} if url else {}),
            "CATALOG_PASSWORD_HASHING": TEST_PASSWORD_HASHING,
            **env,
        }
    )


def catalog_env(settings: Settings) -> dict[str, str]:
    """The environment variables that point a ``catalog`` command or server at this catalog."""
    return {
        "CATALOG_DATA_DIR": str(settings.data_dir),
        "CATALOG_DATABASE_URL": settings.database_url,
        "CATALOG_PASSWORD_HASHING": settings.password_hashing,
    }


def copy_data_dir(source: Path, target: Path, request: pytest.FixtureRequest) -> Path:
    """A private copy of the catalog in ``source``: the folder, and on PostgreSQL the database (a new
    database made from it as a template, dropped when the requesting fixture ends)."""
    shutil.copytree(source, target)
    url = _DATABASES.get(source.resolve())
    if url:
        _own_database(request, target, _postgres(request).copy(url))
    return target


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """An empty catalog (no schema yet)."""
    data_dir = tmp_path / "var"
    if backend == POSTGRESQL:
        _own_database(request, data_dir, _postgres(request).create())
    return make_settings(data_dir)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _seeded(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The seeded catalog of ``backend`` in this process, built the first time it is asked for."""
    if backend in _SEEDED:
        return _SEEDED[backend]
    data_dir = tmp_path_factory.mktemp(f"seeded-{backend}") / "var"
    if backend == POSTGRESQL:  # kept for the whole run (pytest may finalize a fixture that asked for it
        # and ask again later): the server's ``close`` drops it, with its template, at the end
        _DATABASES[data_dir.resolve()] = _postgres(request).create()
    settings = make_settings(data_dir)
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    with db.session_scope(engine) as session:
        load_seed(session, SYSTEM, SEED_DIR)
        factories.create_seeded_accounts(session)  # the accounts of every role the tests sign in as
    indexer = Indexer(engine, settings.index_dir)
    indexer.catch_up()
    indexer.index.verify()  # as a server's first start does: copies start as a restarted server does
    indexer.close()
    engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    if backend == POSTGRESQL:
        _postgres(request).freeze(settings.database_url)  # copies are made ahead from here on
    _SEEDED[backend] = data_dir
    return data_dir


@pytest.fixture(scope="session")
def seeded_template(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Path:
    """A data dir holding the whole seed catalog and its index, and the accounts of
    ``factories.SEEDED_ACCOUNTS``, built once per backend and worker."""
    return _seeded(backend, tmp_path_factory, request)


@pytest.fixture(scope="session")
def postgres_template(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Path:
    """The PostgreSQL seeded catalog, for tests about PostgreSQL itself that are not parametrized by
    backend (skipped, with the reason, where there is none): the same as ``seeded_template`` there."""
    return _seeded(POSTGRESQL, tmp_path_factory, request)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The SQLite seeded catalog, for what runs on SQLite whatever the backend (a served catalog for
    the browser): the same data dir as ``seeded_template`` on SQLite, not a second one."""
    return _seeded(SQLITE, tmp_path_factory, request)


@pytest.fixture
def seeded_settings(seeded_template: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """A private copy of the seeded catalog, for tests that write."""
    return make_settings(copy_data_dir(seeded_template, tmp_path / "var", request))


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    """The settings ``web`` serves the test's copy of the seeded catalog with; a module overrides this
    fixture to set others (``make_settings(seeded_settings.data_dir, CATALOG_…=…)``)."""
    return seeded_settings


@pytest.fixture
def web(app_settings: Settings) -> Iterator[TestClient]:
    """HTTP through the ASGI app on the test's own copy of the seeded catalog, for tests that write
    (``client`` is the session's read-only one); the same database as ``seeded_engine``."""
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def seeded_session(seeded_engine: Engine) -> Iterator[Session]:
    """A session on a private copy of the seeded catalog, for the services' unit tests."""
    with Session(seeded_engine, expire_on_commit=False) as session:
        yield session


def refused(error: type[CatalogError], call: Any, *args: Any, **kwargs: Any) -> CatalogError:
    """The error ``call`` raises, which must be exactly of class ``error`` (not a subclass)."""
    with pytest.raises(CatalogError) as raised:
        call(*args, **kwargs)
    assert type(raised.value) is error, raised.value
    return raised.value


@pytest.fixture
def seeded_engine(seeded_settings: Settings) -> Iterator[Engine]:
    engine = db.make_engine(seeded_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def client(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    """HTTP through the ASGI app, on a read-only copy of the seeded catalog shared by the session."""
    data_dir = copy_data_dir(seeded_template, tmp_path_factory.mktemp("served") / "var", request)
    with TestClient(create_app(make_settings(data_dir)), raise_server_exceptions=False) as client:
        yield client
