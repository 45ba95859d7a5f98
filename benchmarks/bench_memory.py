"""Peak RSS of the tap syncing ``transaction_lines`` (records stream through, never pile up).

Row counts: ``BENCH_RSS_ROWS`` (default 100000; ``--rss-rows 100000,1000000`` adds the
1,000,000-row figure, which takes long to generate and sync on a small machine).
"""

from __future__ import annotations

from typing import Any

from benchmarks.common import FIRST_DIVISION, TapWorkdir, check, env_ints, row, sandbox

GOAL_MB = 250


def run() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rows in env_ints("BENCH_RSS_ROWS", [100_000]):
        with sandbox(seed=13, divisions=1, rows=rows, no_limits=True) as sb:
            workdir = TapWorkdir(sb.tap_config(divisions=[FIRST_DIVISION]))
            result = workdir.run(["transaction_lines"], state=False, save_state=False)
            check(result, "tap transaction_lines")
            records = result.records("transaction_lines")
            out.append(row(f"peak RSS of the tap, transaction_lines, {records:,} rows",
                           round(result.max_rss_mb, 1), "MB", f"< {GOAL_MB} MB",
                           result.max_rss_mb < GOAL_MB))
    return out
