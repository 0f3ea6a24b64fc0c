"""One benchmark run on one catalog size, in its own process so that peak memory is its own.

    python -m catalog.bench.engine --size 10000 --work DIR [--rounds 5]

prints one JSON object: load and index build times, index size, peak memory, search latency
percentiles over the fixed query set (the browse page's query: filters, every facet, page 1 of 20),
and the cost of one update on this index.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from catalog import db
from catalog.bench.generator import generate_products
from catalog.bench.loader import load_catalog
from catalog.bench.queries import QUERIES
from catalog.indexing import hooks
from catalog.indexing.indexer import Indexer
from catalog.listings.filters import ProductFilters
from catalog.listings.search import index_query
from catalog.products.models import DataProduct
from catalog.settings import Settings


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of ``samples`` (seconds) in milliseconds."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "mean": round(statistics.fmean(ordered) * 1000, 2),
    }


def _directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(size: int, work: Path, rounds: int) -> dict[str, Any]:
    data_dir = work / f"catalog-{size}"
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = Settings.from_env({"CATALOG_DATA_DIR": str(data_dir)})
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)

    started = time.perf_counter()
    loaded = load_catalog(engine, settings.seed_dir, generate_products(size))
    load_seconds = time.perf_counter() - started

    indexer = Indexer(engine, settings.index_dir)
    started = time.perf_counter()
    indexed = indexer.rebuild()  # as `catalog reindex` does: two processes from 5,000 items
    build_seconds = time.perf_counter() - started
    index = indexer.index

    queries = [ProductFilters(**params) for params in QUERIES]
    started = time.perf_counter()
    index.search(**index_query("product", queries[0]))
    first_search = time.perf_counter() - started  # opens the searcher and reads the columns

    samples: list[float] = []
    hits: dict[str, int] = {}
    for _ in range(rounds):
        for filters in queries:
            started = time.perf_counter()
            found = index.search(**index_query("product", filters))
            samples.append(time.perf_counter() - started)
            hits[json.dumps(filters.model_dump(exclude_defaults=True), ensure_ascii=False)] = found.total
    return {
        "products": loaded,
        "indexed": indexed,
        "load_seconds": round(load_seconds, 2),
        "build_seconds": round(build_seconds, 2),
        "index_mb": round(_directory_size(settings.index_dir) / 2**20, 1),
        "first_search_ms": round(first_search * 1000, 1),
        "search_ms": percentiles(samples),
        "searches": len(samples),
        "update": _update(engine, indexer),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_writer_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "hits": hits,
        "data_dir": str(data_dir),
    }


def _update(engine: Engine, indexer: Indexer) -> dict[str, float]:
    """Rename one product, then time the index catch-up and the first search that finds the new name."""
    with db.session_scope(engine) as session:
        product = session.exec(select(DataProduct).where(DataProduct.status == "listed").limit(1)).one()
        product.title = "淮安运河星链冷链溯源数据服务"
    started = time.perf_counter()
    applied = indexer.catch_up()
    caught_up = time.perf_counter() - started
    found = indexer.index.search("星链冷链", kind="product", filters={"status": ["listed"]})
    visible = time.perf_counter() - started
    assert applied >= 1 and found.total == 1, (applied, found.total)
    return {"catch_up_ms": round(caught_up * 1000, 1), "visible_ms": round(visible * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    hooks.install()  # a process of its own, started by ``catalog bench``: the ChangeLog as the CLI has it
    print(json.dumps(run(args.size, args.work, args.rounds), ensure_ascii=False))


if __name__ == "__main__":
    main()
