"""Search throughput of our server beside Datasette over SQLite FTS5, on the same catalog and queries.

For each catalog that ``catalog bench`` built, this starts ``catalog serve`` on it, and Datasette (the
``bench`` extra: ``pip install -e '.[bench]'``) on a copy of the same SQLite file with an FTS5 index of
the product texts, both on 127.0.0.1; loads each in turn with the same clients and seconds; and stops
them. Datasette's FTS5 default tokenizer makes each run of Chinese characters one token, so its
answers to Chinese queries are mostly wrong; this measures speed only.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from catalog.bench.http import catalog_paths, datasette_paths, run_load

FTS_COLUMNS = ("title", "title_en", "summary", "summary_en", "description", "tags")


def prepare_peer_database(source: Path, target: Path) -> None:
    """Copy the catalog's SQLite file and add the FTS5 table Datasette's search uses."""
    shutil.copyfile(source, target)
    columns = ", ".join(FTS_COLUMNS)
    with sqlite3.connect(target) as connection:
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
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
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


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def compare(data_dir: Path, clients: int, seconds: float) -> dict[str, Any]:
    """Load our server and Datasette, both serving the catalog in ``data_dir``, one after the other."""
    figures: dict[str, Any] = {}
    port = _free_port()
    env = {**os.environ, "CATALOG_DATA_DIR": str(data_dir)}
    ours = subprocess.Popen(
        [sys.executable, "-c", "from catalog.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/healthz", ours)
        figures["catalog"] = run_load(f"http://127.0.0.1:{port}", catalog_paths(), clients, seconds)
    finally:
        _stop(ours)
    peer_db = data_dir / "peer.sqlite3"
    prepare_peer_database(data_dir / "catalog.sqlite3", peer_db)
    port = _free_port()
    limits = ["--setting", "sql_time_limit_ms", "10000", "--setting", "facet_time_limit_ms", "10000"]
    limits += ["--setting", "suggest_facets", "off"]  # its per-page facet suggestions would slow it down
    peer = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", "-i", str(peer_db), "--port", str(port), *limits],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        table = f"http://127.0.0.1:{port}/peer/data_product"
        _wait(f"{table}.json?_size=1", peer)
        figures["datasette"] = run_load(table, datasette_paths(""), clients, seconds)
    finally:
        _stop(peer)
    return figures
