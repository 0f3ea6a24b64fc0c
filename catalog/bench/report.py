"""Plain-text tables of benchmark figures, as README shows them."""

from __future__ import annotations

import platform
from typing import Any


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def engine_table(results: dict[int, dict[str, Any]]) -> str:
    lines = [
        f"machine: {machine()}",
        "| products | load | index build | index size | peak RSS (writer process) | first search"
        " | search p50 / p95 / p99"
        " | update → visible |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, r in results.items():
        s, u = r["search_ms"], r["update"]
        lines.append(
            f"| {size:,} | {r['load_seconds']} s | {r['build_seconds']} s | {r['index_mb']} MB"
            f" | {r['peak_rss_mb']} MB ({r.get('peak_rss_writer_mb', 0)} MB) | {r['first_search_ms']} ms"
            f" | {s['p50']} / {s['p95']} / {s['p99']} ms"
            f" | {u['catch_up_ms']} → {u['visible_ms']} ms |"
        )
    return "\n".join(lines)


def http_table(figures: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"machine: {machine()}",
        "| server | requests | errors | req/s | p50 / p95 / p99 |",
        "|---|---|---|---|---|",
    ]
    for name, f in figures.items():
        latency = f["latency_ms"] or {"p50": "–", "p95": "–", "p99": "–"}
        lines.append(
            f"| {name} | {f['requests']} | {f['errors']} | {f['throughput_rps']}"
            f" | {latency['p50']} / {latency['p95']} / {latency['p99']} ms |"
        )
        if f["first_error"]:
            lines.append(f"|  first error: {f['first_error']} | | | | |")
    return "\n".join(lines)
