"""Divisions in parallel (``parallel_divisions``, issue 17): four figures.

1. Incremental run with no changes over ``BENCH_PAR_DIVISIONS`` divisions (default 50), the
   sandbox answering every call after ``BENCH_PAR_LATENCY_MS`` (default 300 ms, Exact's
   order): wall time with ``parallel_divisions`` 1 and 16 side by side. Goal: 16 at least 10x
   faster than 1, and under 60 s. Every default stream; limits off (latency is the point).
2. Initial load of 8 divisions x ``BENCH_PAR_ROWS`` transaction lines (default 20,000) with
   real-shaped limits (60 calls per division per minute, the minute shortened to
   ``BENCH_PAR_MINUTE_S`` s, default 15: Exact's pace 4x faster): every default stream, wall
   time of the 8-division run (``parallel_divisions`` 8) divided by the time of one division
   alone. Goal: at most 1.5. The same again with a 6-s minute (10x, no goal): 8 divisions then
   ask as many calls a second as 80 divisions at Exact's pace, and the figure shows where one
   tap process on this machine's cores becomes the bound.
3. Tap CPU per row (transaction lines, limits off) of 16 divisions read at once against one
   division alone, both less the CPU of a start-up run; goal within 10 %. Peak RSS of the
   16-division run; goal < 250 MB.
4. CPU per transaction line of the tap (one division, alone) against a floor
   (``benchmarks/floor.py``: the same pages, orjson, the tap's date conversion, RECORD lines);
   goal: the tap within 2x of the floor.

CPU seconds are of the measured process only (``wait4``); ratios come from the same run.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from benchmarks.common import (
    FIRST_DIVISION,
    REPO,
    TapRun,
    TapWorkdir,
    check,
    env_int,
    process_cpu_seconds,
    row,
    run_process,
    sandbox,
)
from tap_exactonline.streamtable import CATALOG

DEFAULT_STREAMS = [spec.name for spec in CATALOG if spec.name != "employees"]
STEP = 17  # sandbox division codes: 3100001 + i * 17


def codes(count: int) -> list[int]:
    return [FIRST_DIVISION + i * STEP for i in range(count)]


def configure(workdir: TapWorkdir, **settings: Any) -> None:
    config = json.loads(workdir.config.read_text())
    config.update(settings)
    workdir.config.write_text(json.dumps(config))


def start_up_cpu(workdir: TapWorkdir) -> float:
    """CPU of a run that reads one tiny stream (imports, OAuth, catalog): the fixed cost."""
    return min(workdir.run(["currencies"], state=False, save_state=False).cpu_seconds
               for _ in range(2))


def incremental_latency() -> list[dict[str, Any]]:
    count = env_int("BENCH_PAR_DIVISIONS", 50)
    latency = env_int("BENCH_PAR_LATENCY_MS", 300)
    with sandbox(seed=41, divisions=count, rows=200, no_limits=True, latency_ms=latency) as sb:
        workdir = TapWorkdir(sb.tap_config(divisions=codes(count), parallel_divisions=16))
        check(workdir.run(DEFAULT_STREAMS), "initial load")  # STATE for every division
        times: dict[int, TapRun] = {}
        for parallel in (16, 1):
            configure(workdir, parallel_divisions=parallel)
            times[parallel] = workdir.run(DEFAULT_STREAMS, save_state=False)
            check(times[parallel], f"incremental run, parallel_divisions={parallel}")
    one, sixteen = times[1].wall_seconds, times[16].wall_seconds
    return [
        row(f"incremental run, no changes, {count} divisions x {len(DEFAULT_STREAMS)} streams, "
            f"latency {latency} ms: parallel_divisions=1", one, "s"),
        row(f"the same with parallel_divisions=16 (CPU {times[16].cpu_seconds:.1f} s; "
            f"parallel_divisions=1: {times[1].cpu_seconds:.1f} s)", sixteen, "s", "< 60 s",
            sixteen < 60),
        row("speed-up of parallel_divisions=16 over 1 (same sandbox, same STATE)",
            one / sixteen, "x", ">= 10x", one / sixteen >= 10),
    ]


def initial_load_with_limits(minute: int | None = None,
                             goal: bool = True) -> list[dict[str, Any]]:
    """Figure 2 with a ``minute`` of that many seconds (default ``BENCH_PAR_MINUTE_S``, 15);
    ``goal`` False reports the ratio without the goal."""
    rows = env_int("BENCH_PAR_ROWS", 20_000)
    minute = minute or env_int("BENCH_PAR_MINUTE_S", 15)
    divisions = codes(8)
    with sandbox(seed=43, divisions=8, rows=rows, minute_seconds=minute,
                 minutely_limit=60) as sb:
        assert sb.proc is not None

        def measured(workdir: TapWorkdir, what: str) -> tuple[TapRun, float, float]:
            """The run, the sandbox's CPU seconds during it, the 1-minute load before it."""
            load, before = os.getloadavg()[0], process_cpu_seconds(sb.proc.pid)
            run = workdir.run(DEFAULT_STREAMS, save_state=False)
            check(run, what)
            return run, process_cpu_seconds(sb.proc.pid) - before, load

        alone = TapWorkdir(sb.tap_config(divisions=divisions[:1], parallel_divisions=1))
        single, single_sandbox, single_load = measured(alone, "one division alone")
        together = TapWorkdir(sb.tap_config(divisions=divisions, parallel_divisions=8))
        many, many_sandbox, many_load = measured(together, "8 divisions")
    ratio = many.wall_seconds / single.wall_seconds
    # The tap's readers and its writer share one GIL, so its CPU seconds are a lower bound of
    # its wall time; the sandbox answering 8 divisions needs CPU on the same 2 cores.
    bound = max(single.wall_seconds, many.cpu_seconds) / single.wall_seconds
    return [
        row(f"initial load, one division alone ({single.records():,} rows, {rows:,} "
            f"transaction lines, 60 calls per {minute}-s minute; CPU {single.cpu_seconds:.1f} s, "
            f"sandbox CPU {single_sandbox:.1f} s, load {single_load:.1f})",
            single.wall_seconds, "s"),
        row(f"initial load, 8 such divisions, parallel_divisions=8 ({many.records():,} rows; "
            f"CPU {many.cpu_seconds:.1f} s, sandbox CPU {many_sandbox:.1f} s, load "
            f"{many_load:.1f})", many.wall_seconds, "s"),
        row(f"8 divisions in parallel / one division alone (wall time, {minute}-s minute)",
            ratio, "x", *(("<= 1.5", ratio <= 1.5) if goal else ())),
        row("what the tap alone imposes: max(one division's wall, the 8-division run's tap "
            "CPU on its one GIL) / one division's wall", bound, "x"),
    ]


def floor_run(sb: Any, division: int) -> TapRun:
    env = {**os.environ, "EXACT_ACCESS_TOKEN": sb.access_token()}
    return run_process([sys.executable, "-m", "benchmarks.floor", sb.url, str(division)],
                       env=env, cwd=REPO)


def cpu_per_row() -> list[dict[str, Any]]:
    rows = env_int("BENCH_PAR_ROWS", 20_000)
    divisions = codes(16)
    stream = ["transaction_lines"]
    with sandbox(seed=47, divisions=16, rows=rows, no_limits=True) as sb:
        alone = TapWorkdir(sb.tap_config(divisions=divisions[:1], parallel_divisions=1))
        base = start_up_cpu(alone)
        alone.run(stream, state=False, save_state=False)  # warm the sandbox's caches
        single = alone.run(stream, state=False, save_state=False)
        check(single, "one division")
        floor = floor_run(sb, divisions[0])
        check(floor, "floor")
        floor_base = run_process([sys.executable, "-c", "import orjson, requests, "
                                  "tap_exactonline.odata, tap_exactonline.streams"],
                                 cwd=REPO).cpu_seconds
        together = TapWorkdir(sb.tap_config(divisions=divisions, parallel_divisions=16))
        many = together.run(stream, state=False, save_state=False)
        check(many, "16 divisions")
    single_rows, many_rows = single.records("transaction_lines"), many.records("transaction_lines")
    if single_rows != rows or many_rows != 16 * rows:
        raise RuntimeError(f"rows: {single_rows} alone, {many_rows} of 16 divisions")
    per_row_single = (single.cpu_seconds - base) / single_rows * 1e6
    per_row_many = (many.cpu_seconds - base) / many_rows * 1e6
    per_row_floor = (floor.cpu_seconds - floor_base) / rows * 1e6
    drift = per_row_many / per_row_single - 1
    return [
        row(f"tap CPU per transaction line, one division ({rows:,} rows, start-up CPU "
            f"{base:.2f} s subtracted)", per_row_single, "µs/row"),
        row(f"tap CPU per transaction line, 16 divisions at once ({many_rows:,} rows)",
            per_row_many, "µs/row", "at most 10 % above one division", drift <= 0.10),
        row("peak RSS of the tap, 16 divisions in flight (parallel_divisions=16)",
            round(many.max_rss_mb, 1), "MB", "< 250 MB", many.max_rss_mb < 250),
        row(f"floor: same pages, orjson, the tap's date conversion, RECORD lines ({rows:,} "
            "rows)", per_row_floor, "µs/row"),
        row("tap CPU per row / floor CPU per row (one division, same run)",
            per_row_single / per_row_floor, "x", "<= 2x", per_row_single / per_row_floor <= 2),
    ]


def run() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    def compressed() -> list[dict[str, Any]]:
        return initial_load_with_limits(6, goal=False)

    for measure in (cpu_per_row, initial_load_with_limits, compressed, incremental_latency):
        try:
            out.extend(measure())
        except Exception as exc:  # one failing figure must not hide the others
            out.append(row(f"{measure.__name__}: failed", None, "",
                           f"{type(exc).__name__}: {str(exc).splitlines()[0][:150]}", False))
    return out
