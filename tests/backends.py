"""The databases the suite runs on: SQLite always, and PostgreSQL where a server is reachable.

``CATALOG_TEST_POSTGRES_URL`` names the server (default: the local one, database ``test``; empty: do
not use PostgreSQL). That database is only where this run creates and drops its own: one seeded
catalog per run, and a copy of it (``CREATE DATABASE … TEMPLATE``, a quarter of a second) for each
test that writes, made ahead in a background thread, which also drops them (a drop waits for a
checkpoint). A run that was killed leaves its databases behind: the next run on this machine drops them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import threading

import psycopg
from sqlalchemy import make_url

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
POSTGRES_URL_VARIABLE = "CATALOG_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PREFIX = "hadp_test_"  # every database this suite creates: hadp_test_<pid>_<n>


class PostgresServer:
    """Creates the databases of one test run on a PostgreSQL server, and drops them again.

    A catalog that tests copy is first frozen: copied once into a template that nobody connects to
    (a test may read the original), from which a housekeeping thread keeps ``READY`` copies made
    ahead, so that a test rarely waits for one; it also does the drops, which wait for a checkpoint.
    """

    READY = 2

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.prefix = f"{PREFIX}{os.getpid()}_"
        self._numbers = itertools.count()
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._housekeeper: threading.Thread | None = None
        self._lock = threading.Lock()
        self._frozen: dict[str, str] = {}  # a catalog's URL -> its template's
        self._ready: dict[str, list[str]] = {}  # a template's URL -> copies made ahead

    @property
    def shown(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def _connect(self) -> psycopg.Connection:
        """A connection to the server's maintenance database (the one the URL names)."""
        url = self.url.set(drivername="postgresql")
        return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True, connect_timeout=3)

    def unreachable(self) -> str | None:
        """Why this server cannot be used (None when it can)."""
        try:
            with self._connect() as connection:
                connection.execute("SELECT 1")
        except psycopg.Error as exc:
            return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def name_of(self, url: str) -> str:
        database = make_url(url).database
        assert database and database.startswith(self.prefix), f"not a database of this run: {url}"
        return database

    def create(self, template: str | None = None, connection: psycopg.Connection | None = None) -> str:
        """A new database, empty or a copy of ``template`` (a URL of this run); its URL."""
        if connection is None:
            with self._connect() as connection:
                return self.create(template, connection)
        name = f"{self.prefix}{next(self._numbers)}"
        source = self.name_of(template) if template else None
        statement = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{source}"' if source else "")
        try:
            connection.execute(statement)
        except psycopg.errors.ObjectInUse:  # a test left a connection to the template open
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [source]
            )
            connection.execute(statement)
        # a test database need not outlive a crash of the server: commits do not wait for the disk
        connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        return self.url_of(name)

    def freeze(self, url: str) -> None:
        """Make ``url``'s template for copies, and start making copies ahead."""
        template = self.create(url)
        with self._lock:
            self._frozen[url] = template
            self._ready[template] = []
        for _ in range(self.READY):
            self._do("prepare", template)

    def copy(self, url: str) -> str:
        """A new database holding what ``url`` held when it was frozen (or holds now, if it was not)."""
        with self._lock:
            template = self._frozen.get(url)
            ready = self._ready.get(template or "")
            made = ready.pop(0) if ready else None
        if template is None:
            return self.create(url)
        self._do("prepare", template)
        return made or self.create(template)

    def release(self, url: str) -> None:
        """Drop ``url``, its template and the copies made ahead of it, in the background."""
        with self._lock:
            template = self._frozen.pop(url, None)
            unused = self._ready.pop(template, []) if template else []
        for name in [url, *([template] if template else []), *unused]:
            self._do("drop", self.name_of(name))
        for kept in self._kept_by_restore(self.name_of(url)):
            self._do("drop", kept)

    def _kept_by_restore(self, name: str) -> list[str]:
        """The databases ``catalog restore`` kept beside ``name`` (``<name>_before_restore_<time>``)."""
        pattern = (name + "_before_restore_").replace("_", r"\_") + "%"
        with self._connect() as connection:
            rows = connection.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [pattern])
            return [row[0] for row in rows]

    def _do(self, job: str, argument: str) -> None:
        """Queue a job for the housekeeper: ``drop`` a database by name, ``prepare`` a copy of a template."""
        if self._housekeeper is None:
            self._housekeeper = threading.Thread(target=self._work, name="test-databases", daemon=True)
            self._housekeeper.start()
        self._jobs.put((job, argument))

    def _work(self) -> None:
        with self._connect() as connection:
            while (job := self._jobs.get()) is not None:
                with contextlib.suppress(Exception):  # housekeeping: a copy not made ahead is made when asked
                    if job[0] == "drop":
                        connection.execute(f'DROP DATABASE IF EXISTS "{job[1]}" WITH (FORCE)')
                    else:
                        self._prepare(job[1], connection)

    def _prepare(self, template: str, connection: psycopg.Connection) -> None:
        with self._lock:
            if len(self._ready.get(template, [])) >= self.READY:
                return
        made = self.create(template, connection)
        with self._lock:
            wanted = template in self._ready
            if wanted:
                self._ready[template].append(made)
        if not wanted:  # released meanwhile
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name_of(made)}" WITH (FORCE)')

    def drop_stale(self) -> None:
        """Drop the databases of earlier runs on this machine whose process has gone (killed runs)."""
        if self.url.host not in (None, "", "localhost", "127.0.0.1", "::1"):
            return  # another machine's runs may be using that server
        with self._connect() as connection:
            names = [
                row[0]
                for row in connection.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s",
                    [PREFIX.replace("_", r"\_") + "%"],
                )
            ]
        for name in names:
            pid = name[len(PREFIX) :].split("_", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                self._do("drop", name)

    def close(self) -> None:
        """Drop what is left and wait for the housekeeping to end."""
        with self._lock:
            left = [*self._frozen, *self._frozen.values(), *(n for r in self._ready.values() for n in r)]
            self._frozen.clear()
            self._ready.clear()
        for url in left:
            self._do("drop", self.name_of(url))
        if self._housekeeper is not None:
            self._jobs.put(None)
            self._housekeeper.join()
            self._housekeeper = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def configured_postgres() -> PostgresServer | None:
    """The server ``CATALOG_TEST_POSTGRES_URL`` names (None when it is set empty)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, DEFAULT_POSTGRES_URL).strip()
    return PostgresServer(url) if url else None
