"""Shared helpers of the warehouse tests: Meltano runs against a sandbox, truth normalisation."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.meltano import isolated_meltano_env
from tests.support.oracle import canonical
from tests.support.sandbox import SandboxProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The Meltano project the tests run (the repo; overridable to try a modified copy).
PROJECT_ROOT = Path(os.environ.get("EXACTONLINE_TEST_PROJECT_ROOT", REPO_ROOT))
BIN = Path(sys.executable).parent
MELTANO = BIN / "meltano"

#: The streams the dbt marts and the reconciliation read (every stream has a staging model;
#: the others build empty when not loaded).
DBT_SOURCE_STREAMS = (
    "transaction_lines", "gl_accounts", "gl_classifications", "sales_invoices", "accounts",
    "items", "projects", "time_cost_transactions", "deleted", "purchase_entries",
    "purchase_entry_lines", "receivables", "payments", "cost_centers", "cost_units", "divisions",
    "journals", "financial_periods", "gl_schemes", "gl_account_classification_mappings",
    "budgets", "reporting_balances", "opening_balances_current_year",
    "opening_balances_previous_year", "receivables_list", "payables_list",
)


def plugin_venv(plugin_type: str, name: str) -> Path:
    """Where Meltano keeps a plugin's virtualenv (inherited plugins use their parent's)."""
    return PROJECT_ROOT / ".meltano" / f"{plugin_type}s" / name / "venv"


def ensure_plugins(*plugins: tuple[str, str]) -> None:
    """``meltano install`` the (type, name) plugins whose venv is missing; skip if that fails."""
    for plugin_type, name in plugins:
        if plugin_venv(plugin_type, name).exists():
            continue
        proc = subprocess.run(
            [str(MELTANO), "install", plugin_type, name], cwd=PROJECT_ROOT,
            capture_output=True, text=True, timeout=900, check=False,
        )
        if proc.returncode != 0:
            pytest.skip(f"`meltano install {plugin_type} {name}` failed: {proc.stderr[-500:]}")


def meltano_env(sandbox: SandboxProcess, work: Path, duckdb_path: Path) -> dict[str, str]:
    """Environment for ``meltano run`` against ``sandbox``, isolated under ``work``.

    Own system database (so STATE never mixes with other runs), own Meltano run folder, own
    token store, the DuckDB file for target-duckdb and dbt-duckdb alike, dbt's target and log
    folders outside the repo (:func:`tests.support.meltano.isolated_meltano_env`).
    """
    return isolated_meltano_env(sandbox, work, project_root=PROJECT_ROOT, duckdb_path=duckdb_path)


def meltano(args: list[str], env: Mapping[str, str], log: Path, timeout: float = 600) -> None:
    """Run ``meltano <args>`` in the repo; fail the test with the log's tail when it fails."""
    with log.open("w") as out:
        proc = subprocess.run(
            [str(MELTANO), *args], cwd=PROJECT_ROOT, env=dict(env), stdout=out,
            stderr=subprocess.STDOUT, timeout=timeout, check=False,
        )
    if proc.returncode != 0:
        tail = log.read_text()[-4000:]
        pytest.fail(f"meltano {' '.join(args)} exited {proc.returncode}:\n{tail}")


def truth(sandbox: SandboxProcess, divisions: Iterable[int], stream: str) -> list[dict[str, Any]]:
    """Every current row of ``stream`` over ``divisions`` in the sandbox's canonical form
    (typed values from its database: :mod:`tests.support.oracle`)."""
    rows: list[dict[str, Any]] = []
    for division in divisions:
        rows.extend(canonical(sandbox, division, stream))
    return rows


def calendar_date(value: str | None) -> datetime | None:
    """A canonical calendar date ``YYYY-MM-DD`` -> naive midnight (None stays None)."""
    return None if value is None else datetime.fromisoformat(value)


def cents(value: Any) -> Decimal:
    """A money value rounded to cents, as Decimal (None -> 0)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))
