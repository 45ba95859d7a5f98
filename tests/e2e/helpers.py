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

# Changes per division between the two runs: (stream, action, count), every family. Deletes
# only of rows nothing else refers to: Exact refuses to delete e.g. an item still used on an
# invoice (the sandbox would blank the item columns of those rows without a new Timestamp).
# Updates only of columns no other endpoint repeats: like Exact, a renamed VAT code changes
# VATCodeDescription of every transaction line without a new Timestamp on those lines.
CHANGES = [
    # The Modified family: Exact logs no deletion; the weekly delete-detection schedule finds
    # them (an entry goes with its lines, its payment or receivable and its transaction lines,
    # so the books still reconcile in the schedule's dbt build). First, so that the sandbox
    # deletes rows the first run loaded, not the ones created below (it deletes the newest).
    ("purchase_entries", "delete", 1),
    ("sales_entries", "delete", 1),
    # Full table: the cost center created before the first run (no line uses it; see
    # create_unused_cost_centers); Exact logs no deletion and target-duckdb ignores
    # ACTIVATE_VERSION, so it reaches the table as a full-table tombstone
    # (full_table_tombstones, on in the project).
    ("cost_centers", "delete", 1),
    ("accounts", "create", 2),
    ("accounts", "update", 2),
    ("contacts", "delete", 1),
    ("time_cost_transactions", "delete", 1),
    ("sales_invoices", "create", 1),
    ("sales_invoices", "update", 1),
    ("gl_accounts", "create", 1),
    ("transaction_lines", "update", 2),
    ("general_journal_entries", "create", 1),
    ("payments", "update", 2),
    ("purchase_invoices", "update", 1),
    ("quotation_lines", "delete", 1),
    ("subscription_lines", "delete", 1),
    ("goods_delivery_lines", "delete", 1),
    ("quotations", "update", 1),
    ("budgets", "update", 2),
    ("exchange_rates", "update", 1),
    ("cash_entries", "create", 1),
]
# The extract-load of the project's weekly schedule exactonline-delete-detection-weekly: the
# tap with the delete-detection pass (the variable the schedule sets; its dbt build is
# checked in tests/warehouses/test_dbt_duckdb.py).
DELETE_DETECTION_PASS = {"TAP_EXACTONLINE_DELETE_DETECTION_PASS": "true"}


def create_unused_cost_centers(sandbox: SandboxProcess, divisions: list[int]) -> None:
    """One new cost center per division, before the first run: the one CHANGES deletes."""
    for division in divisions:
        sandbox.mutate({"division": division, "stream": "cost_centers", "action": "create",
                        "count": 1})


def apply_changes(sandbox: SandboxProcess, divisions: list[int]
                  ) -> tuple[dict[str, set[tuple[int, str]]], dict[str, set[tuple[int, str]]]]:
    """:data:`CHANGES` in every division: (deleted, created or updated) keys per stream."""
    deleted: dict[str, set[tuple[int, str]]] = {}
    updated: dict[str, set[tuple[int, str]]] = {}
    for division in divisions:
        for stream, action, count in CHANGES:
            answer = sandbox.mutate(
                {"division": division, "stream": stream, "action": action, "count": count})
            assert answer["changed"], f"sandbox changed nothing for {stream} {action}"
            for change in answer["changed"]:
                key = (division, str(change["ID"]).lower())
                target = deleted if change["action"] == "delete" else updated
                target.setdefault(change["stream"], set()).add(key)
    return deleted, updated


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
