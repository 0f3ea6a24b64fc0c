"""Load a running server over HTTP with a fixed mix of pages, from a bounded number of clients.

The mix is what visitors of a catalog do, in a fixed order (``MIX``): of every ten requests, three are
searches in Chinese (``/search?q=…``), three product pages, two browse pages with filters
(``/products?sector=…``), one the home page and one an API search (``/api/v1/search?q=…``). Each client
is one keep-alive connection that walks the mix from its own starting point, taking the next path of
each kind in turn; figures are kept per kind of page and overall.

The peer, Datasette over the same catalog in SQLite with an FTS5 table, gets the same mix with its own
pages: its home page, the table page with column filters and facets, the table page with ``_search``,
the row page of the same products, and the table's JSON with ``_search`` and facets.

Only loopback addresses are accepted: this is for measuring our own server (and a peer such as
Datasette) on this machine, never for loading someone else's.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from catalog.bench.engine import percentiles
from catalog.bench.queries import BROWSE_QUERIES, CHINESE_QUERIES, QUERIES

KINDS = ("home", "browse", "search", "product", "api_search")
# the order each client walks: 3 searches, 3 product pages, 2 browse pages, the home page, 1 API search
MIX = (
    "search",
    "product",
    "browse",
    "search",
    "product",
    "home",
    "search",
    "product",
    "browse",
    "api_search",
)
PRODUCT_PAGES = 50  # distinct products whose pages are loaded
SEARCH_PREVIEW = 10  # rows per catalog on our search page (portal.routes.SEARCH_PREVIEW)

Pages = dict[str, list[str]]  # kind -> paths, each walked in turn

# Filter names of our pages -> columns of the ``data_product`` table, for Datasette's own filters.
DATASETTE_COLUMNS = {
    "type": "product_type",
    "delivery": "delivery_mode",
    "price_model": "price_model",
    "security": "security_grade",
    "frequency": "update_frequency",
}
DATASETTE_FACETS = ("product_type", "delivery_mode", "price_model", "security_grade", "update_frequency")


def mix_shares() -> dict[str, float]:
    return {kind: MIX.count(kind) / len(MIX) for kind in KINDS}


def catalog_paths(path: str = "/products") -> list[str]:
    """The engine benchmark's query set as paths of our browse page (every facet is computed there)."""
    return [f"{path}?{urlencode(params, doseq=True)}" for params in QUERIES]


def datasette_paths(table_path: str, queries: list[dict[str, Any]] | None = None) -> list[str]:
    """Queries as Datasette table views over SQLite FTS5, with facets, 20 rows a page.

    Datasette filters by the table's own columns; our sector, provider and licence filters live in other
    tables, so those queries run there with their text only (which favours the peer).
    """
    paths = []
    for params in QUERIES if queries is None else queries:
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


def catalog_pages(slugs: list[str]) -> Pages:
    """The mix's paths on our server, for the products ``slugs``."""
    return {
        "home": ["/"],
        "browse": [f"/products?{urlencode(params, doseq=True)}" for params in BROWSE_QUERIES],
        "search": [f"/search?{urlencode({'q': q})}" for q in CHINESE_QUERIES],
        "product": [f"/products/{quote(slug)}" for slug in slugs],
        "api_search": [f"/api/v1/search?{urlencode({'q': q})}" for q in CHINESE_QUERIES],
    }


def datasette_pages(table_path: str, ids: list[int]) -> Pages:
    """The same mix on Datasette: its pages for the same queries and the same products (``ids``)."""
    search = [urlencode({"_search": q, "_size": SEARCH_PREVIEW}) for q in CHINESE_QUERIES]
    return {
        "home": ["/"],
        "browse": datasette_paths(table_path, BROWSE_QUERIES),
        "search": [f"{table_path}?{query}" for query in search],
        "product": [f"{table_path}/{i}" for i in ids],
        "api_search": datasette_paths(f"{table_path}.json", [{"q": q} for q in CHINESE_QUERIES]),
    }


def check_loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url}: only http:// URLs on this machine")
    address = ipaddress.ip_address(socket.gethostbyname(parts.hostname))
    if not address.is_loopback:
        raise ValueError(f"{url}: the benchmark only loads servers on 127.0.0.1")
    return parts.hostname, parts.port or 80


def _get_json(url: str) -> Any:
    host, port = check_loopback(url)
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(host, port, timeout=120)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise ValueError(f"{url} answered {response.status}")
    return json.loads(body)


def product_slugs(url: str, count: int = PRODUCT_PAGES) -> list[str]:
    """The newest ``count`` listed products of our server at ``url`` (read once, before the load)."""
    found = _get_json(f"{url.rstrip('/')}/api/v1/products?sort=newest&per_page={min(count, 100)}")
    slugs = [item["id"] for item in found["items"]][:count]
    if not slugs:
        raise ValueError(f"{url} lists no products")
    return slugs


def datasette_ids(table_url: str, slugs: list[str]) -> list[int]:
    """The row ids in Datasette's table of the products ``slugs``, in their order."""
    query = urlencode({"slug__in": ",".join(slugs), "_shape": "array", "_col": "slug", "_size": "max"})
    rows = _get_json(f"{table_url}.json?{query}")
    ids = {row["slug"]: row["id"] for row in rows}
    return [ids[slug] for slug in slugs if slug in ids]


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    def add(self, elapsed: float, error: str) -> None:
        self.requests += 1
        self.latencies.append(elapsed)
        if error:
            self.errors += 1
            self.first_error = self.first_error or error

    def summary(self, seconds: float) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "throughput_rps": round(self.requests / seconds, 1) if seconds else 0.0,
            "latency_ms": percentiles(self.latencies) if self.latencies else {},
            "first_error": self.first_error,
        }


def _url_parts(url: str) -> tuple[str, int, str]:
    host, port = check_loopback(url)
    return host, port, urlsplit(url).path.rstrip("/")


def _fetch(connection: http.client.HTTPConnection, path: str) -> str:
    """One GET on the connection; the error as text, or "" for a 200."""
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return "" if response.status == 200 else str(response.status)


def run_mixed(url: str, pages: Pages, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads, each on one keep-alive connection, walking ``MIX`` over ``pages`` for
    ``seconds`` after one warm pass; throughput, latency and errors per kind of page and overall."""
    host, port, prefix = _url_parts(url)
    missing = [kind for kind in KINDS if not pages.get(kind)]
    if missing:
        raise ValueError(f"no paths for {', '.join(missing)}")
    _warm(host, port, [prefix + p for paths in pages.values() for p in paths])
    tallies = {kind: Tally() for kind in KINDS}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        step, turns = number, dict.fromkeys(KINDS, number * 7)
        while time.perf_counter() < deadline:
            kind = MIX[step % len(MIX)]
            path = prefix + pages[kind][turns[kind] % len(pages[kind])]
            step, turns[kind] = step + 1, turns[kind] + 1
            started = time.perf_counter()
            try:
                error = _fetch(connection, path)
            except (OSError, http.client.HTTPException) as exc:
                error = repr(exc)
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                tallies[kind].add(elapsed, f"{error} on {path}" if error else "")
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    overall = Tally()
    for tally in tallies.values():
        overall.requests += tally.requests
        overall.errors += tally.errors
        overall.latencies += tally.latencies
        overall.first_error = overall.first_error or tally.first_error
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "mix": mix_shares(),
        "overall": overall.summary(elapsed),
        "kinds": {kind: tally.summary(elapsed) for kind, tally in tallies.items()},
    }


def load_datasette(table_url: str, slugs: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """The mix against Datasette's table of products at ``table_url`` (``http://…/peer/data_product``)."""
    check_loopback(table_url)
    parts = urlsplit(table_url)
    root = f"{parts.scheme}://{parts.netloc}"
    table_path = re.sub(r"\.json$", "", parts.path.rstrip("/"))
    ids = datasette_ids(root + table_path, slugs)
    return run_mixed(root, datasette_pages(table_path, ids), clients, seconds)


def compare_running(url: str, table_url: str | None, clients: int, seconds: float) -> dict[str, Any]:
    """Our server, then (when given) Datasette, with the same mix, clients and seconds."""
    check_loopback(url)
    if table_url:
        check_loopback(table_url)
    slugs = product_slugs(url)
    figures = {"catalog": run_mixed(url, catalog_pages(slugs), clients, seconds)}
    if table_url:
        figures["datasette"] = load_datasette(table_url, slugs, clients, seconds)
    return figures


def _warm(host: str, port: int, paths: list[str]) -> None:
    """One pass over the paths first, so both servers are measured warm."""
    connection = http.client.HTTPConnection(host, port, timeout=120)
    for path in paths:
        connection.request("GET", path)
        connection.getresponse().read()
    connection.close()
