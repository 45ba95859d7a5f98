"""API calls per 1,000 rows per stream: a full run and an incremental run with no changes.

Counted by the sandbox (``GET /_sandbox/stats`` ``calls`` per request path), limits off, one
division of ``BENCH_CALLS_ROWS`` transaction lines (default 5000). Goals (issue 6): a full
run needs at most ``ceil(rows/1000) + 1`` calls per sync stream per division; an incremental
run with no changes exactly 1. The Modified and full-table streams are measured in a second
pair of runs, for information (their endpoints serve 60 rows a page, 1000 for bulk).
"""

from __future__ import annotations

from typing import Any

import requests

from benchmarks.common import FIRST_DIVISION, TapWorkdir, check, env_int, pages, row, sandbox
from tap_exactonline.streamtable import CATALOG, StreamSpec


def calls_per_stream(stats: dict[str, Any], division: int) -> dict[str, int]:
    """Calls per stream name from the sandbox's per-path counters."""
    by_path = stats.get("calls", {})
    return {spec.name: int(by_path.get(f"/api/v1/{division}/{spec.endpoint}", 0))
            for spec in CATALOG}


def full_and_incremental(sb: Any, specs: list[StreamSpec]) -> tuple[dict[str, int],
                                                                   dict[str, int]]:
    """Calls per stream of a full run and of the incremental run after it."""
    workdir = TapWorkdir(sb.tap_config(divisions=[FIRST_DIVISION]))
    names = [spec.name for spec in specs]
    counts = []
    for what in ("full run", "incremental run"):
        requests.post(f"{sb.url}/_sandbox/reset-stats", timeout=30).raise_for_status()
        check(workdir.run(names), what)
        counts.append(calls_per_stream(sb.stats(), FIRST_DIVISION))
    return counts[0], counts[1]


def run() -> list[dict[str, Any]]:
    rows = env_int("BENCH_CALLS_ROWS", 5000)
    out: list[dict[str, Any]] = []
    sync_specs = [spec for spec in CATALOG if spec.family == "sync"]
    other_specs = [spec for spec in CATALOG if spec.family != "sync"]
    with sandbox(seed=17, divisions=1, rows=rows, no_limits=True) as sb:
        counts = {spec.name: len(sb.truth(FIRST_DIVISION, spec.name)) for spec in CATALOG}
        full, incremental = full_and_incremental(sb, sync_specs)
        try:
            other_full, other_incremental = full_and_incremental(sb, other_specs)
        except RuntimeError as exc:
            other_full = other_incremental = {}
            out.append(row("Modified and full-table streams: run failed", None, "",
                           str(exc).splitlines()[-1][:150], None))

    all_met = True
    for spec in sync_specs:
        n, calls = counts[spec.name], full[spec.name]
        limit = pages(n)
        met = calls <= limit
        all_met &= met
        out.append(row(f"calls per 1,000 rows, full run, {spec.name} ({n:,} rows, {calls} "
                       "calls)", calls / n * 1000 if n else None, "calls/1000 rows",
                       f"<= ceil(rows/1000)+1 = {limit} calls", met))
    out.append(row("full run: calls of all 14 sync streams, one division",
                   sum(full[s.name] for s in sync_specs), "calls",
                   "<= ceil(rows/1000)+1 per sync stream", all_met))
    incr = {s.name: incremental[s.name] for s in sync_specs}
    out.append(row(f"incremental run, no changes: calls per sync stream (max over {len(incr)})",
                   max(incr.values()), "calls", "exactly 1 per sync stream per division",
                   all(v == 1 for v in incr.values())))
    for spec in other_specs:
        if spec.name not in other_full:
            continue
        n, calls = counts[spec.name], other_full[spec.name]
        sharing = [s.name for s in CATALOG if s.endpoint == spec.endpoint and s is not spec]
        shared = f", endpoint {spec.endpoint} shared with {', '.join(sharing)}" if sharing else ""
        out.append(row(f"calls per 1,000 rows, full run, {spec.name} ({n:,} rows, {calls} "
                       f"calls, {spec.page_size}/page{shared}; incremental run: "
                       f"{other_incremental[spec.name]} calls)",
                       calls / n * 1000 if n else None, "calls/1000 rows"))
    return out
