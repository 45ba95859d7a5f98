"""The warehouse of the dbt-duckdb tests: sandbox -> tap -> target-duckdb -> dbt-duckdb.

One sandbox, one DuckDB file, two load modes side by side:

* upsert (schema ``exactonline``): ``meltano run tap-exactonline target-duckdb``, then changes in
  the sandbox (updates, deletes, a new journal entry), then exactly the README's command
  ``meltano run tap-exactonline target-duckdb dbt-duckdb:build`` (dbt's own tests run in it:
  unique/not-null keys, fact -> dimension relationships, balanced journal entries);
* append-only history (schema ``exactonline_history``):
  ``meltano run tap-exactonline-history target-duckdb-history`` before and after the same
  changes, then ``meltano invoke dbt-duckdb build`` over that schema (models in ``hist_*``).

Built once per test session (the ``warehouse`` fixture of ``tests/warehouses/conftest.py``) and
read by test_dbt_duckdb.py (staging, current state, history, dimensions and facts) and
test_dbt_finance.py (trial balance, open items and aging, statements, reconciliation with
Exact's own reports), which compare the models with ``/_sandbox/truth`` after the changes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tests.support.sandbox import SandboxProcess
from tests.warehouses.helpers import (
    DBT_SOURCE_STREAMS,
    ensure_plugins,
    meltano,
    meltano_env,
    truth,
)

DIVISIONS = (3100001, 3100018)
CHANGED_DIVISION = 3100001
SANDBOX_AS_OF = "2025-12-20"  # the day the sandbox's data ends (--as-of)
AGING_AS_OF = "2025-06-30"  # a day in the past: open items and aging as they were then


@dataclass
class Warehouse:
    db: Path
    sandbox: SandboxProcess
    changed: dict[str, dict[str, list[str]]]  # stream -> action -> IDs
    env: dict[str, str]
    work: Path

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.sql(query).fetchall()

    def truth(self, stream: str) -> list[dict[str, Any]]:
        return truth(self.sandbox, DIVISIONS, stream)


def _mutate(sandbox: SandboxProcess, stream: str, action: str, count: int) -> list[str]:
    body = {"division": CHANGED_DIVISION, "stream": stream, "action": action, "count": count}
    return [c["ID"] for c in sandbox.mutate(body)["changed"]]


def build_warehouse(work: Path) -> Iterator[Warehouse]:
    """Load, change, load again and build both schemas in ``work``; yield, then stop the sandbox."""
    ensure_plugins(("extractor", "tap-exactonline"), ("loader", "target-duckdb"),
                   ("utility", "dbt-duckdb"))
    sandbox = SandboxProcess(seed=11, divisions=2, rows=500, as_of=SANDBOX_AS_OF)
    sandbox.start(log_dir=work)
    try:
        db = work / "warehouse.duckdb"
        env = meltano_env(sandbox, work, db)
        # The history pipeline reads only what the dbt project needs (keeps the test short).
        env["TAP_EXACTONLINE_HISTORY__SELECT"] = json.dumps([f"{s}.*" for s in DBT_SOURCE_STREAMS])

        # A cost center no transaction line uses, deleted below: Exact logs no deletion of a
        # full-table row and target-duckdb ignores ACTIVATE_VERSION, so the second runs remove
        # it with a full-table tombstone (full_table_tombstones, on in the project).
        created_cost_centers = _mutate(sandbox, "cost_centers", "create", 1)
        meltano(["run", "tap-exactonline", "target-duckdb"], env, work / "run-1.log")
        meltano(["run", "tap-exactonline-history", "target-duckdb-history"], env,
                work / "history-1.log")

        changed: dict[str, dict[str, list[str]]] = defaultdict(dict)
        # Exact logs no deletion of a payment: the second runs find it by delete detection.
        # It goes with its purchase entry (and that entry's transaction lines), as in Exact,
        # so the books still reconcile with Exact's reports.
        payments = {r["ID"] for d in DIVISIONS for r in sandbox.truth(d, "payments")}
        changed["purchase_entries"]["delete"] = _mutate(sandbox, "purchase_entries", "delete", 1)
        changed["payments"]["delete"] = sorted(
            payments - {r["ID"] for d in DIVISIONS for r in sandbox.truth(d, "payments")})
        changed["accounts"]["update"] = _mutate(sandbox, "accounts", "update", 3)
        changed["items"]["update"] = _mutate(sandbox, "items", "update", 2)
        changed["sales_invoices"]["update"] = _mutate(sandbox, "sales_invoices", "update", 1)
        changed["sales_invoices"]["delete"] = _mutate(sandbox, "sales_invoices", "delete", 1)
        changed["transaction_lines"]["delete"] = _mutate(sandbox, "transaction_lines", "delete", 1)
        changed["transaction_lines"]["create"] = _mutate(sandbox, "transaction_lines", "create", 1)
        changed["cost_centers"]["delete"] = _mutate(sandbox, "cost_centers", "delete", 1)
        assert changed["cost_centers"]["delete"] == created_cost_centers

        # The README's command, verbatim (every dbt test passes: the reconciliation
        # too), with the delete-detection pass of the project's
        # weekly schedule (both pipelines recorded the keys they loaded in their own ledgers).
        detect = {"TAP_EXACTONLINE_DELETE_DETECTION_PASS": "true",
                  "TAP_EXACTONLINE_HISTORY_DELETE_DETECTION_PASS": "true"}
        meltano(["run", "tap-exactonline", "target-duckdb", "dbt-duckdb:build"],
                {**env, **detect}, work / "run-2.log")

        meltano(["run", "tap-exactonline-history", "target-duckdb-history"], {**env, **detect},
                work / "history-2.log")
        hist_env = {**env, "DBT_DUCKDB_SOURCE_SCHEMA": "exactonline_history",
                    "DBT_DUCKDB_SCHEMA": "hist"}
        dbt_vars = json.dumps({"aging_as_of": AGING_AS_OF})
        meltano(["invoke", "dbt-duckdb", "build", "--vars", dbt_vars], hist_env,
                work / "dbt-history.log")
        yield Warehouse(db=db, sandbox=sandbox, changed=dict(changed), env=env, work=work)
    finally:
        sandbox.stop()

