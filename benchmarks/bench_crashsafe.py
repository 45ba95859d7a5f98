"""What crash safety with target-duckdb 0.8.0 costs (docs/reliability.md).

target-duckdb treats the first STATE it receives as flushed. The tap emits the incoming STATE
before its first RECORD (the fix in use: one STATE line per run); the alternative is
target-duckdb's ``flush_all_streams``, which flushes every stream's batch whenever one is
full. Both runs load the same pipeline (every stream of one division of ``BENCH_CRASH_ROWS``
transaction lines, default 20000) with ``batch_size_rows`` 2000, so batches fill during the
run; CPU seconds are those of the whole ``meltano run`` process tree (Meltano, tap, target).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import BIN, FIRST_DIVISION, REPO, check, env_int, row, run_process, sandbox


def _meltano_run(sb: Any, tmp: Path, label: str, **target: str) -> Any:
    env = {
        **os.environ,
        "TAP_EXACTONLINE_BASE_URL": sb.url,
        "TAP_EXACTONLINE_CLIENT_ID": sb.options["client_id"],
        "TAP_EXACTONLINE_CLIENT_SECRET": sb.options["client_secret"],
        "TAP_EXACTONLINE_REFRESH_TOKEN": sb.fresh_refresh_token(),
        "TAP_EXACTONLINE_TOKEN_STORE_PATH": str(tmp / f"tokens-{label}.fernet"),
        "TAP_EXACTONLINE_TOKEN_STORE_KEY": "bench-token-store-passphrase",
        "TAP_EXACTONLINE_ALL_DIVISIONS": "false",
        "TAP_EXACTONLINE_DIVISIONS": json.dumps([FIRST_DIVISION]),
        "TAP_EXACTONLINE__SELECT": '["*.*"]',
        "TARGET_DUCKDB_FILEPATH": str(tmp / f"{label}.duckdb"),
        "TARGET_DUCKDB_BATCH_SIZE_ROWS": "2000",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        **target,
    }
    result = run_process(
        [str(BIN / "meltano"), "--environment=demo", "run", "--full-refresh",
         "--no-state-update", "tap-exactonline", "target-duckdb"], env=env, cwd=REPO)
    check(result, f"meltano run ({label})")
    return result


def run() -> list[dict[str, Any]]:
    rows = env_int("BENCH_CRASH_ROWS", 20_000)
    tmp = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    with sandbox(seed=29, divisions=1, rows=rows, no_limits=True) as sb:
        # alternate the two, twice, so that machine noise hits both alike
        runs: dict[str, list[Any]] = {"state": [], "flush_all": []}
        for turn in range(2):
            runs["state"].append(_meltano_run(sb, tmp, f"state{turn}"))
            runs["flush_all"].append(_meltano_run(
                sb, tmp, f"flush{turn}", TARGET_DUCKDB_FLUSH_ALL_STREAMS="true"))
    cpu = {k: sum(r.cpu_seconds for r in v) / len(v) for k, v in runs.items()}
    wall = {k: sum(r.wall_seconds for r in v) / len(v) for k, v in runs.items()}
    return [
        row(f"meltano run, all streams, {rows:,} transaction lines, batch 2000: the incoming "
            f"STATE first (in use; {wall['state']:.0f} s wall)", cpu["state"], "CPU s"),
        row(f"the same with target-duckdb flush_all_streams instead "
            f"({wall['flush_all']:.0f} s wall)", cpu["flush_all"], "CPU s"),
        row("flush_all_streams / incoming STATE first, CPU", cpu["flush_all"] / cpu["state"],
            "ratio"),
    ]
