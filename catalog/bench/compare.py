"""Our server beside Datasette over SQLite FTS5, on the same catalog, with the same mix of pages.

For each catalog that ``catalog bench`` built, ``compare`` starts ``catalog serve`` on it and loads it
with the mix of ``catalog.bench.http``, stops it, then starts Datasette (the ``bench`` extra:
``pip install -e '.[bench]'``) on a copy of the same SQLite file with an FTS5 index of the product
texts, and loads it with the same mix, clients and seconds; both on 127.0.0.1. ``serve_peer`` does the
Datasette half for a catalog that a server already running serves (``catalog bench --http URL
--datasette-from DIR``). Datasette's FTS5 default tokenizer makes each run of Chinese characters one
token, so its answers to Chinese queries are mostly wrong; this measures speed only.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalog.bench.http import catalog_pages, load_datasette, product_slugs, run_mixed

FTS_COLUMNS = ("title", "title_en", "summary", "summary_en", "description", "tags")
CATALOG_FILE = "catalog.sqlite3"


def prepare_peer_database(source: Path, target: Path) -> None:
    """A consistent copy of the catalog's SQLite file (even while a server writes to it), with the FTS5
    table Datasette's search uses."""
    if not source.is_file():
        raise RuntimeError(f"no SQLite catalog at {source}: the peer needs the catalog in SQLite")
    target.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as live,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        live.backup(copy)
    columns = ", ".join(FTS_COLUMNS)
    with contextlib.closing(sqlite3.connect(target)) as connection, connection:
        connection.execute(
            f"CREATE VIRTUAL TABLE data_product_fts USING fts5({columns},"
            " content='data_product', content_rowid='id')"
        )
        connection.execute(
            f"INSERT INTO data_product_fts (rowid, {columns}) SELECT id, {columns} FROM data_product"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} within {seconds} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serve_catalog(data_dir: Path) -> Iterator[str]:
    """``catalog serve`` on the catalog in ``data_dir``, on a free port of 127.0.0.1: its URL."""
    port = _free_port()
    env = {**os.environ, "CATALOG_DATA_DIR": str(data_dir)}
    env.pop("CATALOG_DATABASE_URL", None)  # the catalog in the folder
    ours = subprocess.Popen(
        [sys.executable, "-c", "from catalog.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(f"{url}/healthz", ours)
        yield url
    finally:
        _stop(ours)


@contextlib.contextmanager
def serve_peer(data_dir: Path) -> Iterator[str]:
    """Datasette on a copy (with FTS5) of the SQLite catalog in ``data_dir``: its table of products."""
    with tempfile.TemporaryDirectory(prefix="catalog-peer-") as work:
        peer_db = Path(work) / "peer.sqlite3"
        prepare_peer_database(data_dir / CATALOG_FILE, peer_db)
        port = _free_port()
        limits = ["--setting", "sql_time_limit_ms", "10000", "--setting", "facet_time_limit_ms", "10000"]
        limits += ["--setting", "suggest_facets", "off"]  # its per-page facet suggestions would slow it
        peer = subprocess.Popen(
            [sys.executable, "-m", "datasette", "serve", "-i", str(peer_db), "--port", str(port), *limits],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            table = f"http://127.0.0.1:{port}/peer/data_product"
            _wait(f"{table}.json?_size=1", peer)
            yield table
        finally:
            _stop(peer)


def compare(data_dir: Path, clients: int, seconds: float) -> dict[str, Any]:
    """Load our server and Datasette, both serving the catalog in ``data_dir``, one after the other."""
    figures: dict[str, Any] = {}
    with serve_catalog(data_dir) as url:
        slugs = product_slugs(url)
        figures["catalog"] = run_mixed(url, catalog_pages(slugs), clients, seconds)
    with serve_peer(data_dir) as table:
        figures["datasette"] = load_datasette(table, slugs, clients, seconds)
    return figures
