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
    """The mixed load per server: each kind of page and all together."""
    first = next(iter(figures.values()), {})
    lines = [
        f"machine: {machine()}; {first.get('clients', '?')} clients"
        f" × {first.get('seconds', '?')} s per server",
        "| server | page | share | requests | errors | req/s | p50 / p95 / p99 |",
        "|---|---|---|---|---|---|---|",
    ]
    errors = []
    for name, f in figures.items():
        rows = [*((kind, f["mix"][kind], kind_figures) for kind, kind_figures in f["kinds"].items())]
        rows.append(("all", 1.0, f["overall"]))
        for kind, share, k in rows:
            latency = k["latency_ms"] or {"p50": "–", "p95": "–", "p99": "–"}
            lines.append(
                f"| {name} | {kind} | {share:.0%} | {k['requests']} | {k['errors']} | {k['throughput_rps']}"
                f" | {latency['p50']} / {latency['p95']} / {latency['p99']} ms |"
            )
            if k["first_error"] and kind != "all":
                errors.append(f"{name}, {kind}: first error {k['first_error']}")
    return "\n".join(lines + errors)
