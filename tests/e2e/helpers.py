"""Helpers of the end-to-end tests: run Meltano, read DuckDB, compare with the sandbox truth.

The expected rows come from the sandbox's canonical form (:mod:`tests.support.oracle`: typed
values read from its database, not the OData the tap parses); the actual rows from the DuckDB
file target-duckdb wrote (lower-cased column names, number -> DOUBLE, date-time -> TIMESTAMP).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from tests.support.meltano import isolated_meltano_env
from tests.support.sandbox import SandboxProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
MELTANO = Path(sys.executable).parent / "meltano"
SCHEMA = "exactonline"
PLUGIN_EXECUTABLES = (
    REPO_ROOT / ".meltano/extractors/tap-exactonline/venv/bin/tap-exactonline",
    REPO_ROOT / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb",
)


def missing_plugins() -> list[str]:
    """Meltano plugin executables that `meltano install` has not created yet."""
    return [str(p.relative_to(REPO_ROOT)) for p in PLUGIN_EXECUTABLES if not p.exists()]


def meltano_env(sandbox: SandboxProcess, work: Path, **extra: str) -> dict[str, str]:
    """Environment for ``meltano --environment=demo ...`` against ``sandbox``, writing to ``work``.

    See :func:`tests.support.meltano.isolated_meltano_env`: STATE, run files, token store and
    the DuckDB file live in ``work``; the project's .meltano/ and output/ are left alone.
    """
    return isolated_meltano_env(sandbox, work, **extra)


def run_meltano(args: list[str], env: dict[str, str], log: Path,
                timeout: float = 150) -> subprocess.CompletedProcess[str]:
    """Run ``meltano <args>`` in the project; the whole output goes to ``log`` too."""
    proc = subprocess.run(
        [str(MELTANO), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=timeout, check=False, start_new_session=True,
    )
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    return proc


def records_sent(log: str) -> dict[str, int]:
    """Records per stream from singer-sdk's ``record_count`` metrics in a JSON Meltano log."""
    sent: dict[str, int] = {}
    for line in log.splitlines():
        if '"record_count"' not in line:
            continue
        try:
            metric = json.loads(line).get("metric_info") or {}
        except json.JSONDecodeError:
            continue
        if metric.get("metric") == "record_count":
            stream = metric["tags"]["stream"]
            sent[stream] = sent.get(stream, 0) + int(metric["value"])
    return sent


def tail(proc: subprocess.CompletedProcess[str], lines: int = 30) -> str:
    """The last lines of a finished process's output, for assertion messages."""
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-lines:])


# -- warehouse ---------------------------------------------------------------------------------
def warehouse_rows(
    db: Path, stream: str, key: str
) -> tuple[dict[tuple[Any, ...], dict[str, Any]], int]:
    """Rows of ``exactonline.<stream>`` keyed by (division, key); and the count of doubled keys."""
    with duckdb.connect(str(db), read_only=True) as con:
        # qualified: the file exactonline.duckdb makes "exactonline" a catalog name too
        cur = con.execute(f'SELECT * FROM "{db.stem}"."{SCHEMA}"."{stream}"')
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        by_key[(int(row["division"]), _key_value(row[key.lower()]))] = row
    return by_key, len(rows) - len(by_key)


def warehouse_tables(db: Path) -> set[str]:
    """Tables of schema ``exactonline``."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            [SCHEMA]).fetchall()}


def _key_value(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
