"""End-to-end rows/s: ``meltano run tap-exactonline target-duckdb`` on the sandbox.

The project's own pipeline (every stream selected, the audit-column stream map of
``meltano/extractors.meltano.yml``) on one division of ``BENCH_E2E_ROWS`` transaction lines
(default 30000; the other tables scale with it), limits off, into a fresh DuckDB file. The
time is the whole ``meltano run`` (Meltano's own start included); the rows are counted in
DuckDB afterwards and must equal the sandbox's. Needs ``meltano install`` (``make bench``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.common import (
    BIN,
    FIRST_DIVISION,
    REPO,
    TapWorkdir,
    check,
    env_int,
    row,
    run_process,
    sandbox,
)
from tap_exactonline.streamtable import CATALOG


def run() -> list[dict[str, Any]]:
    rows = env_int("BENCH_E2E_ROWS", 30_000)
    tmp = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    database = tmp / "bench.duckdb"
    with sandbox(seed=23, divisions=1, rows=rows, no_limits=True) as sb:
        expected = {spec.name: len(sb.truth(FIRST_DIVISION, spec.name)) for spec in CATALOG}
        env = {
            **os.environ,
            "TAP_EXACTONLINE_BASE_URL": sb.url,
            "TAP_EXACTONLINE_CLIENT_ID": sb.options["client_id"],
            "TAP_EXACTONLINE_CLIENT_SECRET": sb.options["client_secret"],
            "TAP_EXACTONLINE_REFRESH_TOKEN": sb.fresh_refresh_token(),
            "TAP_EXACTONLINE_TOKEN_STORE_PATH": str(tmp / "tokens.fernet"),
            "TAP_EXACTONLINE_TOKEN_STORE_KEY": "bench-token-store-passphrase",
            "TAP_EXACTONLINE_ALL_DIVISIONS": "false",
            "TAP_EXACTONLINE_DIVISIONS": json.dumps([FIRST_DIVISION]),
            "TARGET_DUCKDB_FILEPATH": str(database),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        result = run_process(
            [str(BIN / "meltano"), "--environment=demo", "run", "--full-refresh",
             "--no-state-update", "tap-exactonline", "target-duckdb"],
            env=env, cwd=REPO,
        )
        check(result, "meltano run tap-exactonline target-duckdb")
        # the same extraction by the tap alone, output to /dev/null, for comparison
        alone = TapWorkdir(sb.tap_config(divisions=[FIRST_DIVISION])).run(
            list(expected), state=False, save_state=False)
        check(alone, "tap alone")
    loaded: dict[str, int] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for name in expected:
            try:
                loaded[name] = con.execute(f"select count(*) from exactonline.{name}").fetchone()[0]
            except duckdb.CatalogException:
                loaded[name] = 0
    wrong = {n: (loaded[n], expected[n]) for n in expected if loaded[n] != expected[n]}
    if wrong:
        raise RuntimeError(f"DuckDB rows differ from the sandbox (loaded, truth): {wrong}")
    total = sum(loaded.values())
    tl = loaded["transaction_lines"]
    return [row(f"end-to-end meltano run tap-exactonline target-duckdb, all {len(loaded)} "
                f"streams of one division ({total:,} rows, {tl:,} transaction lines; "
                f"{result.wall_seconds:.0f} s incl. Meltano's start)",
                total / result.wall_seconds, "rows/s"),
            row(f"the same {total:,} rows by the tap alone to /dev/null (same machine, "
                f"{alone.wall_seconds:.0f} s incl. start)", alone.records() / alone.wall_seconds,
                "rows/s")]
