"""``catalog bench``: the engine benchmark on a small generated catalog, and HTTP load on a real server."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.bench.compare import prepare_peer_database
from catalog.bench.http import datasette_paths
from catalog.bench.queries import QUERIES
from catalog.cli import main
from catalog.settings import PROJECT_ROOT, Settings


def test_engine_bench_reports_every_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(main, ["bench", "--sizes", "300", "--rounds", "1", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["300"]
    assert figures["products"] == 300 and figures["indexed"] >= 300
    assert figures["searches"] == len(QUERIES)
    assert 0 < figures["search_ms"]["p50"] <= figures["search_ms"]["p95"] <= figures["search_ms"]["p99"]
    assert figures["index_mb"] > 0 and figures["peak_rss_mb"] > 0 and figures["build_seconds"] > 0
    assert figures["update"]["visible_ms"] >= figures["update"]["catch_up_ms"] > 0
    assert figures["hits"]['{"q": "公交"}'] > 0  # the generated catalog answers the query set


@pytest.fixture
def server(seeded_settings: Settings) -> Iterator[str]:
    """``catalog serve`` in its own process on the seeded catalog, on a free port of 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", "from catalog.cli import main; main()", "serve", "--port", str(port)],
        env={**os.environ, "CATALOG_DATA_DIR": str(seeded_settings.data_dir)},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_http_bench_loads_a_running_server_without_errors(server: str) -> None:
    result = CliRunner().invoke(
        main, ["bench", "--http", server, "--clients", "4", "--seconds", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["catalog"]
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["requests"] > 0 and figures["throughput_rps"] > 0


@pytest.mark.parametrize("url", ["http://192.0.2.1:8000", "https://127.0.0.1:8000", "ftp://127.0.0.1/"])
def test_http_bench_refuses_anything_but_this_machine(url: str) -> None:
    result = CliRunner().invoke(main, ["bench", "--http", url, "--seconds", "1"])
    assert (result.exit_code != 0 and "127.0.0.1" in result.output) or "this machine" in result.output


def test_peer_database_gets_an_fts5_index_of_the_product_texts(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    peer = tmp_path / "peer.sqlite3"
    prepare_peer_database(seeded_settings.data_dir / "catalog.sqlite3", peer)
    with sqlite3.connect(peer) as connection:
        found = connection.execute(
            "SELECT count(*) FROM data_product_fts WHERE data_product_fts MATCH 'crayfish'"
        ).fetchone()[0]
    assert found > 0
    assert all("_facet=product_type" in path for path in datasette_paths("/peer/data_product"))
