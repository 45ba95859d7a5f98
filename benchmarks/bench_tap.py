"""Tap throughput: rows/s with output to /dev/null, limits off (``--no-limits``).

Two figures per stream: rows per second of the SDK's ``sync_duration`` (wall clock while the
stream syncs, the sandbox serving on another core), and rows per CPU second of the tap process
less its start-up CPU (what one core of tap work delivers; the goal is about this one).
"""

from __future__ import annotations

from typing import Any

from benchmarks.common import (
    BIN,
    FIRST_DIVISION,
    TapWorkdir,
    check,
    env_int,
    row,
    run_process,
    sandbox,
)

STREAMS = (("transaction_lines", 74), ("accounts", 164))
GOAL_ROWS_PER_S = 15_000


def startup_cpu(workdir: TapWorkdir) -> float:
    """CPU seconds of a tap process that only starts and discovers (imports, schemas)."""
    runs = [run_process([str(BIN / "tap-exactonline"), "--config", str(workdir.config),
                         "--discover"]) for _ in range(2)]
    return min(r.cpu_seconds for r in runs)


def run() -> list[dict[str, Any]]:
    rows = env_int("BENCH_TAP_ROWS", 100_000)
    out: list[dict[str, Any]] = []
    with sandbox(seed=11, divisions=1, rows=rows, no_limits=True) as sb:
        workdir = TapWorkdir(sb.tap_config(divisions=[FIRST_DIVISION]))
        base_cpu = startup_cpu(workdir)
        for stream, fields in STREAMS:
            expected = len(sb.truth(FIRST_DIVISION, stream))
            workdir.run([stream], state=False, save_state=False)  # warm the sandbox's caches
            result = workdir.run([stream], state=False, save_state=False)
            check(result, f"tap {stream}")
            records = result.records(stream) or expected
            if records != expected:
                raise RuntimeError(f"{stream}: tap emitted {records} records, sandbox has "
                                   f"{expected}")
            sync_s = result.sync_seconds(stream) or result.wall_seconds
            cpu_s = max(result.cpu_seconds - base_cpu, 1e-6)
            goal = f">= {GOAL_ROWS_PER_S:,} rows/s on one core" \
                if stream == "transaction_lines" else None
            per_cpu = records / cpu_s
            out.append(row(f"tap {stream} ({fields} fields, {records:,} rows): rows per CPU "
                           "second of the tap", per_cpu, "rows/s", goal,
                           per_cpu >= GOAL_ROWS_PER_S if goal else None))
            out.append(row(f"tap {stream}: rows/s wall clock while syncing (sandbox on the "
                           "same machine)", records / sync_s, "rows/s"))
    return out
