"""The dbt project parses with the BigQuery and Snowflake adapters users run it with
(DuckDB: test_dbt_duckdb.py builds it).

``meltano invoke dbt-bigquery:parse`` / ``dbt-snowflake:parse``: the plugins of
meltano/transform.meltano.yml, their adapters' SQL dialect, macros dispatched per adapter and
the profile of transform/profiles/profiles.yml (no connection is opened by ``dbt parse``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.warehouses.helpers import PROJECT_ROOT, ensure_plugins, meltano

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("plugin", ["dbt-bigquery", "dbt-snowflake"])
def test_project_parses(plugin: str, tmp_path: Path) -> None:
    ensure_plugins(("utility", plugin))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.update({"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path),
                "MELTANO_SYS_DIR_ROOT": str(tmp_path / "sys"),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    (tmp_path / "sys").mkdir()
    (tmp_path / "sys" / "utilities").symlink_to(PROJECT_ROOT / ".meltano" / "utilities")
    meltano(["invoke", f"{plugin}:parse"], env, tmp_path / "parse.log")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert {"fct_transaction_lines", "dim_gl_accounts", "mart_trial_balance",
            "hist_accounts", "cur_sales_invoice_lines"} <= models
    adapter = plugin.removeprefix("dbt-")
    assert manifest["metadata"]["adapter_type"] == adapter
