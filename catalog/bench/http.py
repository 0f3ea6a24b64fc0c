"""Load a running server over HTTP with the benchmark's query set, from a bounded number of clients.

Only loopback addresses are accepted: this is for measuring our own server (and a peer such as
Datasette) on this machine, never for loading someone else's.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import cycle
from urllib.parse import urlencode, urlsplit

from catalog.bench.engine import percentiles
from catalog.bench.queries import QUERIES

# Filter names of our pages -> columns of the ``data_product`` table, for Datasette's own filters.
DATASETTE_COLUMNS = {
    "type": "product_type",
    "delivery": "delivery_mode",
    "price_model": "price_model",
    "security": "security_grade",
    "frequency": "update_frequency",
}
DATASETTE_FACETS = ("product_type", "delivery_mode", "price_model", "security_grade", "update_frequency")


def catalog_paths(path: str = "/products") -> list[str]:
    """The query set as paths of our browse page (every facet is computed there)."""
    return [f"{path}?{urlencode(params, doseq=True)}" for params in QUERIES]


def datasette_paths(table_path: str) -> list[str]:
    """The same query set as Datasette table views over SQLite FTS5, with facets, 20 rows a page.

    Datasette filters by the table's own columns; our sector, provider and licence filters live in other
    tables, so those queries run there with their text only (which favours the peer).
    """
    paths = []
    for params in QUERIES:
        query: list[tuple[str, str]] = [("_size", "20")]
        if params.get("q"):
            query.append(("_search", params["q"]))
        for name, column in DATASETTE_COLUMNS.items():
            query += [(f"{column}__in", ",".join(params[name]))] if params.get(name) else []
        if params.get("sort") in ("newest", "requests"):
            query.append(("_sort_desc", "listed_at"))
        if params.get("page", 1) > 1:
            query.append(("_next", str((params["page"] - 1) * 20)))
        query += [("_facet", f) for f in DATASETTE_FACETS]
        paths.append(f"{table_path}?{urlencode(query)}")
    return paths


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    first_error: str = ""

    def summary(self) -> dict:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "throughput_rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "latency_ms": percentiles(self.latencies) if self.latencies else {},
            "first_error": self.first_error,
        }


def check_loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url}: only http:// URLs on this machine")
    address = ipaddress.ip_address(socket.gethostbyname(parts.hostname))
    if not address.is_loopback:
        raise ValueError(f"{url}: the benchmark only loads servers on 127.0.0.1")
    return parts.hostname, parts.port or 80


def run_load(url: str, paths: list[str], clients: int, seconds: float) -> dict:
    """``clients`` threads, each on one keep-alive connection, cycling through ``paths`` for ``seconds``."""
    host, port = check_loopback(url)
    prefix = urlsplit(url).path.rstrip("/")
    result = LoadResult()
    lock = threading.Lock()
    _warm(host, port, prefix, paths)
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        for path in cycle(paths[offset:] + paths[:offset]):
            if time.perf_counter() >= deadline:
                break
            started = time.perf_counter()
            try:
                connection.request("GET", prefix + path)
                response = connection.getresponse()
                response.read()
                ok, status = response.status == 200, str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                ok, status = False, repr(exc)
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                result.requests += 1
                result.latencies.append(elapsed)
                if not ok:
                    result.errors += 1
                    result.first_error = result.first_error or f"{status} on {path}"
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i * 7 % len(paths),)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result.summary()


def _warm(host: str, port: int, prefix: str, paths: list[str]) -> None:
    """One pass over the paths first, so both servers are measured warm."""
    connection = http.client.HTTPConnection(host, port, timeout=120)
    for path in paths:
        connection.request("GET", prefix + path)
        connection.getresponse().read()
    connection.close()


Runner = Callable[[str, list[str], int, float], dict]
