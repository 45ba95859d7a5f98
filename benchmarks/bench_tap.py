"""Tap throughput: rows/s with output to /dev/null, limits off (``--no-limits``).

Two figures per stream:

* rows per CPU second of the tap process, less the CPU of a run that syncs only the tiny
  ``currencies`` stream (start-up, imports, OAuth): what one core of tap work delivers. The
  tap is single-threaded, so this is its rows/s on one core when the API is not the
  bottleneck; the goal is about this figure.
* rows per wall-clock second of the SDK's ``sync_duration``, with the sandbox serving on the
  same (shared) machine: bounded by the sandbox and the machine's load, for information.

Rows: ``BENCH_TAP_ROWS`` transaction lines (default 100000); ``accounts`` come from a second
sandbox with ``BENCH_ACCOUNTS_ROWS`` (default 300000, which gives 3,600 accounts: the sandbox
makes 1 customer per 100 and 1 supplier per 500 transaction lines).
"""

from __future__ import annotations

from typing import Any

from benchmarks.common import FIRST_DIVISION, TapWorkdir, check, env_int, row, sandbox

GOAL_ROWS_PER_S = 15_000
FIELDS = {"transaction_lines": 74, "accounts": 164}


def measure(stream: str, rows: int, seed: int) -> list[dict[str, Any]]:
    with sandbox(seed=seed, divisions=1, rows=rows, no_limits=True) as sb:
        workdir = TapWorkdir(sb.tap_config(divisions=[FIRST_DIVISION]))
        expected = len(sb.truth(FIRST_DIVISION, stream))
        baseline = min(
            workdir.run(["currencies"], state=False, save_state=False).cpu_seconds
            for _ in range(2)
        )
        workdir.run([stream], state=False, save_state=False)  # warm the sandbox's caches
        result = workdir.run([stream], state=False, save_state=False)
    check(result, f"tap {stream}")
    records = result.records(stream)
    if records != expected:
        raise RuntimeError(f"{stream}: tap emitted {records} records, sandbox has {expected}")
    per_cpu = records / max(result.cpu_seconds - baseline, 1e-6)
    sync_s = result.sync_seconds(stream) or result.wall_seconds
    goal = f">= {GOAL_ROWS_PER_S:,} rows/s on one core" if stream == "transaction_lines" else None
    return [
        row(f"tap {stream} ({FIELDS[stream]} fields, {records:,} rows) to /dev/null: rows per "
            "CPU second of the tap", per_cpu, "rows/s", goal,
            per_cpu >= GOAL_ROWS_PER_S if goal else None),
        row(f"tap {stream}: rows per wall-clock second while syncing (sandbox on the same "
            "machine)", records / sync_s, "rows/s"),
    ]


def run() -> list[dict[str, Any]]:
    return [
        *measure("transaction_lines", env_int("BENCH_TAP_ROWS", 100_000), seed=11),
        *measure("accounts", env_int("BENCH_ACCOUNTS_ROWS", 300_000), seed=12),
    ]
