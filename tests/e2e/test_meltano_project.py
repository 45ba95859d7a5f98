"""The Meltano project parses and is wired as the docs say (meltano.yml + meltano/*.meltano.yml).

Real ``meltano`` subprocesses, no Hub: settings of the extractor match the tap's own
``--about``, environments resolve, the utility receives the extractor's settings as
``TAP_EXACTONLINE_*`` variables (``meltano invoke exactonline:check`` against a sandbox).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.helpers import MELTANO, REPO_ROOT, meltano_env, run_meltano, tail
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.e2e


def plugin(kind: str, name: str) -> dict[str, Any]:
    """A plugin definition from meltano/*.meltano.yml."""
    for path in sorted((REPO_ROOT / "meltano").glob("*.meltano.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in (data.get("plugins") or {}).get(kind) or []:
            if entry["name"] == name:
                return entry
    raise AssertionError(f"no {kind} {name} in meltano/*.meltano.yml")


def tap_about() -> dict[str, Any]:
    exe = Path(sys.executable).parent / "tap-exactonline"
    out = subprocess.run([str(exe), "--about", "--format=json"], capture_output=True, text=True,
                         check=True, timeout=60)
    return json.loads(out.stdout)


def meltano_json(*args: str, env: dict[str, str] | None = None) -> Any:
    proc = subprocess.run([str(MELTANO), *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_extractor_declares_every_tap_setting_with_its_sensitivity() -> None:
    about = tap_about()["settings"]["properties"]
    extractor = plugin("extractors", "tap-exactonline")
    declared = {s["name"]: s for s in extractor["settings"]}
    assert set(declared) == set(about)
    for name, prop in about.items():
        setting = declared[name]
        assert all(setting.get(k) for k in ("label", "description", "kind")), name
        assert bool(setting.get("sensitive")) == bool(prop.get("secret")), name
    # The utility shares the extractor's connection settings, with the same sensitivity.
    utility = plugin("utilities", "exactonline")
    assert utility["namespace"] == "tap_exactonline"
    for setting in utility["settings"]:
        assert setting["name"] in about, setting["name"]
        assert bool(setting.get("sensitive")) == bool(about[setting["name"]].get("secret"))
    assert set(utility["commands"]) >= {"auth_login", "auth_status", "auth_refresh", "check",
                                        "sandbox"}


def test_environments_resolve_and_env_vars_win() -> None:
    demo = meltano_json("--environment=demo", "config", "print", "tap-exactonline")
    assert demo["base_url"] == "http://127.0.0.1:8780"
    assert demo["token_store_path"] == str(REPO_ROOT / ".meltano/exactonline/demo-token.fernet")
    assert demo["client_secret"] == "*****"  # sensitive: redacted
    env = {**os.environ, "TAP_EXACTONLINE_BASE_URL": "http://127.0.0.1:1",
           "TAP_EXACTONLINE_CLIENT_ID": "from-env"}
    for name in ("demo", "dev", "prod"):
        tap = meltano_json(f"--environment={name}", "config", "print", "tap-exactonline", env=env)
        util = meltano_json(f"--environment={name}", "config", "print", "exactonline", env=env)
        assert tap["base_url"] == util["base_url"] == "http://127.0.0.1:1", name
        assert tap["client_id"] == util["client_id"] == "from-env", name
        assert tap.get("token_store_path") == util.get("token_store_path"), name


def test_jobs_and_schedules() -> None:
    """Every job's plugins exist (Meltano validates them) and the schedules name those jobs."""
    schedules = meltano_json("schedule", "list", "--format=json")["schedules"]["job"]
    got = {s["name"]: (s["interval"], s["job"]["name"], s["job"]["tasks"]) for s in schedules}
    assert got == {
        "exactonline-to-bigquery-daily": ("@daily", "exactonline-to-bigquery",
            ["tap-exactonline target-bigquery dbt-bigquery:build bi-refresh:all"]),
        "exactonline-to-snowflake-weekly": ("@weekly", "exactonline-to-snowflake",
            ["tap-exactonline target-snowflake dbt-snowflake:build bi-refresh:all"]),
        "exactonline-auth-refresh-weekly": ("@weekly", "exactonline-auth-refresh",
            ["exactonline:auth_refresh"]),
        "exactonline-delete-detection-weekly": ("@weekly", "exactonline-delete-detection",
            ["tap-exactonline target-duckdb dbt-duckdb:build"]),
    }
    assert {s["name"]: s["env"] for s in schedules}["exactonline-delete-detection-weekly"] == {
        "TAP_EXACTONLINE_DELETE_DETECTION_PASS": "true"}
    jobs = ["exactonline-to-duckdb", "exactonline-to-bigquery", "exactonline-to-snowflake",
            "exactonline-auth-refresh", "exactonline-delete-detection"]
    proc = subprocess.run([str(MELTANO), "--environment=prod", "run", "--dry-run", *jobs],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-1500:]
    # blocks: extract-load + dbt (duckdb), + bi-refresh (bigquery, snowflake), auth refresh,
    # extract-load + dbt (delete detection)
    assert proc.stderr.count("Dry run, but would have run block") == 2 + 3 + 3 + 1 + 2


def test_utility_check_runs_against_the_sandbox(sandbox: SandboxProcess, tmp_path: Path) -> None:
    """`meltano invoke exactonline:check` sees the extractor's settings (as TAP_EXACTONLINE_*)."""
    if not (REPO_ROOT / ".meltano/utilities/exactonline/venv/bin/exactonline").exists():
        pytest.skip("utility exactonline not installed: run `make meltano-install`")
    env = meltano_env(sandbox, tmp_path)
    proc = run_meltano(["--environment=demo", "invoke", "exactonline:check"], env,
                       tmp_path / "check.log", timeout=120)
    assert proc.returncode == 0, tail(proc)
    assert "3100001" in proc.stdout, proc.stdout
    # ... and the token store it filled is the one the env var named, not the project's.
    assert (tmp_path / "tokens.fernet").exists()
