"""API calls per 1,000 rows per stream: a full run and an incremental run with no changes.

Counted by the sandbox (``GET /_sandbox/stats`` ``calls`` per request path), limits off.
Goals (issue 6): a full run needs at most ``ceil(rows/1000) + 1`` calls per sync stream per
division; an incremental run with no changes exactly 1.
"""

from __future__ import annotations

from typing import Any

import requests

from benchmarks.common import FIRST_DIVISION, TapWorkdir, check, env_int, pages, row, sandbox
from tap_exactonline.streams import CATALOG


def calls_per_stream(stats: dict[str, Any], division: int) -> dict[str, int]:
    """Calls per stream name from the sandbox's per-path counters."""
    by_path = stats.get("calls", {})
    out: dict[str, int] = {}
    for spec in CATALOG:
        out[spec.name] = int(by_path.get(f"/api/v1/{division}/{spec.endpoint}", 0))
    return out


def reset(url: str) -> None:
    requests.post(f"{url}/_sandbox/reset-stats", timeout=30).raise_for_status()


def run() -> list[dict[str, Any]]:
    rows = env_int("BENCH_CALLS_ROWS", 5000)
    out: list[dict[str, Any]] = []
    streams = [spec.name for spec in CATALOG]
    with sandbox(seed=17, divisions=1, rows=rows, no_limits=True) as sb:
        workdir = TapWorkdir(sb.tap_config(divisions=[FIRST_DIVISION]))
        counts = {name: len(sb.truth(FIRST_DIVISION, name)) for name in streams}
        reset(sb.url)
        full = workdir.run(streams)
        check(full, "full run")
        full_calls = calls_per_stream(sb.stats(), FIRST_DIVISION)
        reset(sb.url)
        incremental = workdir.run(streams)
        check(incremental, "incremental run")
        incr_calls = calls_per_stream(sb.stats(), FIRST_DIVISION)

    sync_specs = [spec for spec in CATALOG if spec.family == "sync"]
    all_met = True
    for spec in CATALOG:
        n, calls = counts[spec.name], full_calls[spec.name]
        per_1000 = calls / n * 1000 if n else None
        if spec.family == "sync":
            limit = pages(n)
            met = calls <= limit
            all_met &= met
            out.append(row(f"calls per 1,000 rows, full run, {spec.name} ({n:,} rows, "
                           f"{calls} calls)", per_1000, "calls/1000 rows",
                           f"<= ceil(rows/1000)+1 = {limit} calls", met))
        else:
            out.append(row(f"calls per 1,000 rows, full run, {spec.name} ({n:,} rows, "
                           f"{calls} calls, {spec.page_size}/page)", per_1000, "calls/1000 rows"))
    out.append(row("full run: every sync stream within ceil(rows/1000)+1 calls",
                   sum(full_calls[s.name] for s in sync_specs), "calls (sync streams)",
                   "<= ceil(rows/1000)+1 per sync stream", all_met))
    incr_sync = {s.name: incr_calls[s.name] for s in sync_specs}
    exactly_one = all(v == 1 for v in incr_sync.values())
    worst = max(incr_sync.values()) if incr_sync else 0
    out.append(row("incremental run, no changes: calls per sync stream (max over "
                   f"{len(incr_sync)} streams)", worst, "calls",
                   "exactly 1 per sync stream per division", exactly_one))
    others = {s.name: incr_calls[s.name] for s in CATALOG if s.family != "sync"}
    more = ", ".join(f"{name} {n}" for name, n in others.items() if n > 1)
    out.append(row("incremental run, no changes: calls of the Modified and full-table streams "
                   f"({len(others)} streams; more than 1: {more or 'none'})",
                   sum(others.values()), "calls"))
    return out
