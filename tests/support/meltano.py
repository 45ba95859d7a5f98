"""Run Meltano against a sandbox the way a user does, isolated from the project's own state."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.sandbox import SandboxProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN_STORE_KEY = "meltano-tests-token-store-passphrase"  # throwaway test value


def isolated_meltano_env(
    sandbox: SandboxProcess,
    work: Path,
    *,
    project_root: Path = REPO_ROOT,
    duckdb_path: Path | None = None,
    **extra: str,
) -> dict[str, str]:
    """Environment for ``meltano --environment=demo ...`` against ``sandbox``, writing to ``work``.

    Everything the run writes (system database with STATE, Meltano's per-run config files,
    token store, delete-detection key ledger, DuckDB file, dbt's target and log folders) goes
    to ``work``; the project's own ``.meltano/`` and ``output/`` are left alone. The installed
    plugins are shared through symlinks. ``TAP_*``, ``TARGET_*`` and ``DBT_*`` variables of the
    caller are dropped, so a developer's ``.env`` or shell cannot redirect the run; the tap
    reads every accessible division with a freshly authorized refresh token of its own.

    Args:
        sandbox: A started sandbox.
        work: Folder for everything the run writes.
        project_root: The Meltano project whose installed plugins are used.
        duckdb_path: Database file of target-duckdb and dbt-duckdb (default
            ``work/exactonline.duckdb``).
        extra: More variables, overriding the defaults.
    """
    duckdb_path = duckdb_path or work / "exactonline.duckdb"
    sys_dir = work / "meltano-sys"
    sys_dir.mkdir(parents=True, exist_ok=True)
    for kind in ("extractors", "loaders", "utilities"):
        link = sys_dir / kind
        if not link.exists():
            link.symlink_to(project_root / ".meltano" / kind, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "DBT_"))}
    env.update({
        "MELTANO_ENVIRONMENT": "demo",
        "MELTANO_SYS_DIR_ROOT": str(sys_dir),
        "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_EXACTONLINE_BASE_URL": sandbox.url,
        "TAP_EXACTONLINE_CLIENT_ID": sandbox.options["client_id"],
        "TAP_EXACTONLINE_CLIENT_SECRET": sandbox.options["client_secret"],
        "TAP_EXACTONLINE_REFRESH_TOKEN": sandbox.fresh_refresh_token(),
        "TAP_EXACTONLINE_TOKEN_STORE_PATH": str(work / "tokens.fernet"),
        "TAP_EXACTONLINE_TOKEN_STORE_KEY": TOKEN_STORE_KEY,
        "TAP_EXACTONLINE_DELETE_DETECTION_STORE": str(work / "delete-detection-keys.sqlite"),
        # the append-only pipeline keeps its own ledger (meltano/warehouses.meltano.yml)
        "TAP_EXACTONLINE_HISTORY_DELETE_DETECTION_STORE": str(work / "history-keys.sqlite"),
        "TAP_EXACTONLINE_DIVISIONS": "[]",
        "TAP_EXACTONLINE_ALL_DIVISIONS": "true",
        "TARGET_DUCKDB_FILEPATH": str(duckdb_path),
        "DBT_DUCKDB_PATH": str(duckdb_path),
        "DBT_TARGET_PATH": str(work / "dbt-target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **extra,
    })
    return env
