"""Shared helpers of the warehouse tests: Meltano runs against a sandbox, truth normalisation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.sandbox import SandboxProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The Meltano project the tests run (the repo; overridable to try a modified copy).
PROJECT_ROOT = Path(os.environ.get("EXACTONLINE_TEST_PROJECT_ROOT", REPO_ROOT))
BIN = Path(sys.executable).parent
MELTANO = BIN / "meltano"

#: The streams the dbt project reads (transform/models/sources.yml).
DBT_SOURCE_STREAMS = (
    "transaction_lines", "gl_accounts", "gl_classifications", "sales_invoices", "accounts",
    "items", "projects", "time_cost_transactions", "deleted", "purchase_entries",
    "purchase_entry_lines", "receivables", "payments", "cost_centers", "cost_units", "divisions",
)

_DATE = re.compile(r"/Date\((-?\d+)\)/")


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

    Own system database (so STATE never mixes with other runs), own Meltano run folder (the
    config files Meltano writes per run; the installed plugins are shared through symlinks),
    own token store, the DuckDB file for target-duckdb and dbt-duckdb alike, dbt's target and
    log folders outside the repo.
    """
    sys_dir = work / "meltano-sys"
    sys_dir.mkdir(exist_ok=True)
    for kind in ("extractors", "loaders", "utilities"):
        link = sys_dir / kind
        if not link.exists():
            link.symlink_to(PROJECT_ROOT / ".meltano" / kind, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "DBT_"))}
    env.update({
        "MELTANO_ENVIRONMENT": "demo",
        "MELTANO_SYS_DIR_ROOT": str(sys_dir),
        "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_EXACTONLINE_BASE_URL": sandbox.url,
        "TAP_EXACTONLINE_CLIENT_ID": sandbox.options["client_id"],
        "TAP_EXACTONLINE_CLIENT_SECRET": sandbox.options["client_secret"],
        "TAP_EXACTONLINE_REFRESH_TOKEN": sandbox.options["refresh_token"],
        "TAP_EXACTONLINE_TOKEN_STORE_PATH": str(work / "tokens.fernet"),
        "TAP_EXACTONLINE_ALL_DIVISIONS": "true",
        "TARGET_DUCKDB_FILEPATH": str(duckdb_path),
        "DBT_DUCKDB_PATH": str(duckdb_path),
        "DBT_TARGET_PATH": str(work / "dbt-target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return env


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
    """Every current truth row of ``stream`` over ``divisions`` (OData values as served)."""
    rows: list[dict[str, Any]] = []
    for division in divisions:
        rows.extend(sandbox.truth(division, stream))
    return rows


def odata_date(value: str | None) -> datetime | None:
    """``/Date(ms)/`` -> naive datetime of the wall-clock value it encodes."""
    if value is None:
        return None
    match = _DATE.fullmatch(value)
    assert match, value
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc).replace(tzinfo=None)


def cents(value: Any) -> Decimal:
    """A money value rounded to cents, as Decimal (None -> 0)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))
