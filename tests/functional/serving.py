"""Real ``catalog serve`` processes on 127.0.0.1 for the tests of several nodes and of crashes.

Each server runs in a process group of its own, so that stopping it (or killing it, as a crash does)
takes its uvicorn workers with it. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from catalog.products import services as products
from catalog.settings import PROJECT_ROOT
from tests.factories import PROVIDER, bearer, listed_product, make_user, organization


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(
    method: str, url: str, body: Any = None, headers: Mapping[str, str] | None = None, timeout: float = 10
) -> tuple[int, Any]:
    """One HTTP exchange on a new connection: the status and the JSON answer (None when not JSON)."""
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        sent.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


@dataclass
class Server:
    """A ``catalog serve`` process group answering at ``url``."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def get(self, path: str, **params: Any) -> tuple[int, Any]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return request("GET", f"{self.url}{path}{query}")

    def health(self) -> dict:
        return self.get("/healthz")[1] or {}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole server, workers and all: a crash."""
        _signal_group(self.process, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s)."""
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        _signal_group(self.process, signal.SIGKILL)  # workers the supervisor left behind, if any


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # the group this test started (start_new_session)


def start_server(env: Mapping[str, str], log: Path, *, workers: int = 1, timeout: float = 60) -> Server:
    """``catalog serve`` on 127.0.0.1 and a free port with ``env``; returns once ``/healthz`` answers."""
    port = free_port()
    command = [sys.executable, "-m", "catalog", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env={**os.environ, **env},
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_for(lambda: _answers(server), timeout, "catalog serve never answered /healthz")
    except BaseException:
        server.stop()
        raise
    return server


def _answers(server: Server) -> bool:
    if server.process.poll() is not None:
        raise AssertionError(
            f"catalog serve exited {server.process.returncode}:\n{server.log_text()[-4000:]}"
        )
    try:
        return server.get("/healthz")[0] in (200, 503)
    except OSError:
        return False


def wait_for(condition: Callable[[], Any], timeout: float, message: str, pause: float = 0.05) -> Any:
    """Call ``condition`` until it returns something true (returned), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (waited {timeout} s)")
        time.sleep(pause)


def run_catalog(env: Mapping[str, str], *args: str, timeout: float = 300) -> str:
    """Run a ``catalog`` command with ``env``; its output (fails the test on a non-zero exit)."""
    done = subprocess.run(
        [sys.executable, "-m", "catalog", *args],
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"catalog {' '.join(args)}: {done.stderr[-2000:]}"
    return done.stdout


@dataclass
class Writers:
    """An owner of a real provider and a reviewer, and the input of a new product to list."""

    owner: dict[str, str]
    reviewer: dict[str, str]
    body: dict[str, Any]

    @classmethod
    def make(cls, engine: Engine) -> Writers:
        # their own accounts: test_nodes seeds its catalog with ``catalog seed``, which makes none
        with Session(engine) as session:
            body = products.product_input(session, listed_product(session))
        provider = organization(engine, PROVIDER).code
        make_user(engine, "owner@nodes.test", organization_code=provider, role="owner")
        make_user(engine, "reviewer@nodes.test", reviewer=True)
        return cls(bearer(engine, "owner@nodes.test"), bearer(engine, "reviewer@nodes.test"), body)

    def create(self, url: str, slug: str, title: str) -> tuple[int, Any]:
        body = {**self.body, "slug": slug, "title": title, "title_en": f"Test product {slug}"}
        return request("POST", f"{url}/api/v1/products", body, self.owner)

    def move(self, url: str, slug: str, to: str) -> tuple[int, Any]:
        """One transition of product ``slug``: the owner submits, the reviewer does the rest."""
        from catalog.listings.workflow import CHECKLIST

        who = self.owner if to == "submitted" else self.reviewer
        body: dict[str, Any] = {"to": to}
        if to == "publicity":
            body["checklist"] = dict.fromkeys(CHECKLIST, True)
        return request("POST", f"{url}/api/v1/products/{slug}/transition", body, who)

    def list_product(self, url: str, slug: str, title: str) -> None:
        """Create, submit, review and approve (listed at once with ``CATALOG_PUBLICITY_DAYS=0``)."""
        status, answer = self.create(url, slug, title)
        assert status == 201, answer
        for to in ("submitted", "in_review", "publicity"):
            status, answer = self.move(url, slug, to)
            assert status == 200, answer
        assert answer["status"] == "listed", answer
