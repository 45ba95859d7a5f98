"""End-to-end rows/s: ``meltano run tap-exactonline target-duckdb`` on the sandbox.

``transaction_lines`` of one division (``BENCH_E2E_ROWS``, default 50000), limits off, into a
fresh DuckDB file; the time is the whole ``meltano run`` (Meltano's start included), the rows
are counted in DuckDB afterwards. Needs ``meltano install`` done (``make bench`` does it).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.common import BIN, FIRST_DIVISION, REPO, check, env_int, row, run_process, sandbox


def run() -> list[dict[str, Any]]:
    rows = env_int("BENCH_E2E_ROWS", 50_000)
    tmp = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    database = tmp / "bench.duckdb"
    with sandbox(seed=23, divisions=1, rows=rows, no_limits=True) as sb:
        expected = len(sb.truth(FIRST_DIVISION, "transaction_lines"))
        env = {
            **os.environ,
            "TAP_EXACTONLINE_BASE_URL": sb.url,
            "TAP_EXACTONLINE_CLIENT_ID": sb.options["client_id"],
            "TAP_EXACTONLINE_CLIENT_SECRET": sb.options["client_secret"],
            "TAP_EXACTONLINE_REFRESH_TOKEN": sb.options["refresh_token"],
            "TAP_EXACTONLINE_TOKEN_STORE_PATH": str(tmp / "tokens.fernet"),
            "TAP_EXACTONLINE_TOKEN_STORE_KEY": "bench-token-store-passphrase",
            "TAP_EXACTONLINE_ALL_DIVISIONS": "false",
            "TAP_EXACTONLINE_DIVISIONS": json.dumps([FIRST_DIVISION]),
            "TAP_EXACTONLINE__SELECT": json.dumps(["transaction_lines.*"]),
            "TARGET_DUCKDB_FILEPATH": str(database),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        result = run_process(
            [str(BIN / "meltano"), "--environment=demo", "run", "--full-refresh",
             "--no-state-update", "tap-exactonline", "target-duckdb"],
            env=env, cwd=REPO,
        )
        check(result, "meltano run tap-exactonline target-duckdb")
    with duckdb.connect(str(database), read_only=True) as con:
        loaded = con.execute("select count(*) from exactonline.transaction_lines").fetchone()[0]
    if loaded != expected:
        raise RuntimeError(f"DuckDB has {loaded} transaction_lines, the sandbox {expected}")
    return [row(f"end-to-end tap -> target-duckdb through Meltano, transaction_lines "
                f"({loaded:,} rows, {result.wall_seconds:.0f} s incl. Meltano start)",
                loaded / result.wall_seconds, "rows/s")]
