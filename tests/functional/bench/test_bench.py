"""``catalog bench``: the engine benchmark on a small generated catalog, and the mixed HTTP load on a real
server (home, browse, Chinese search, product pages, API search), on 127.0.0.1 only."""

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
from catalog.bench.http import KINDS, catalog_pages, datasette_pages, datasette_paths
from catalog.bench.queries import QUERIES
from catalog.cli import main
from catalog.settings import PROJECT_ROOT, Settings
from tests.conftest import catalog_env


@pytest.mark.slow
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
        env={**os.environ, **catalog_env(seeded_settings)},
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


@pytest.mark.both_backends
@pytest.mark.slow
def test_http_bench_runs_the_mixed_scenario_without_errors(server: str) -> None:
    result = CliRunner().invoke(
        main, ["bench", "--http", server, "--clients", "4", "--seconds", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) == {"catalog"}  # no peer asked for
    ours = figures["catalog"]
    assert ours["clients"] == 4 and ours["seconds"] >= 2
    assert ours["mix"] == {"home": 0.1, "browse": 0.2, "search": 0.3, "product": 0.3, "api_search": 0.1}
    assert set(ours["kinds"]) == set(KINDS)
    for kind, figures_of_kind in [*ours["kinds"].items(), ("overall", ours["overall"])]:
        assert figures_of_kind["errors"] == 0, (kind, figures_of_kind["first_error"])
        assert figures_of_kind["requests"] > 0 and figures_of_kind["throughput_rps"] > 0, kind
        latency = figures_of_kind["latency_ms"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"], kind
    assert ours["overall"]["requests"] == sum(k["requests"] for k in ours["kinds"].values())
    # the mix holds: every kind's share of the requests is within a few of its planned share
    for kind, share in ours["mix"].items():
        assert abs(ours["kinds"][kind]["requests"] / ours["overall"]["requests"] - share) < 0.05, kind


@pytest.mark.slow
def test_http_bench_prints_a_table_per_kind_of_page(server: str) -> None:
    result = CliRunner().invoke(main, ["bench", "--http", server, "--clients", "2", "--seconds", "1"])
    assert result.exit_code == 0, result.output
    for kind in (*KINDS, "all"):
        assert f"| catalog | {kind} |" in result.output


def test_mixed_pages_are_the_same_queries_on_both_servers() -> None:
    ours, peer = catalog_pages(["a-product"]), datasette_pages("/peer/data_product", [7])
    assert set(ours) == set(peer) == set(KINDS)
    assert [len(ours[kind]) for kind in KINDS] == [len(peer[kind]) for kind in KINDS]
    assert ours["search"][0] == "/search?q=%E6%95%B0%E6%8D%AE"  # 数据
    assert peer["search"][0].startswith("/peer/data_product?_search=%E6%95%B0%E6%8D%AE")
    assert ours["product"] == ["/products/a-product"] and peer["product"] == ["/peer/data_product/7"]
    assert all(path.startswith("/api/v1/search?q=") for path in ours["api_search"])
    assert all(path.startswith("/peer/data_product.json?") for path in peer["api_search"])


@pytest.mark.parametrize("url", ["http://192.0.2.1:8000", "https://127.0.0.1:8000", "ftp://127.0.0.1/"])
def test_http_bench_refuses_anything_but_this_machine(url: str) -> None:
    result = CliRunner().invoke(main, ["bench", "--http", url, "--seconds", "1"])
    assert result.exit_code != 0
    assert "127.0.0.1" in result.output or "this machine" in result.output


def test_http_bench_refuses_a_peer_on_another_machine() -> None:
    ours, peer = "http://127.0.0.1:9", "http://192.0.2.1:8001/peer/data_product"
    result = CliRunner().invoke(main, ["bench", "--http", ours, "--datasette", peer, "--seconds", "1"])
    assert result.exit_code != 0 and "only loads servers on 127.0.0.1" in result.output


@pytest.mark.sqlite_only  # the peer is Datasette over a copy of the SQLite file
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
