"""The Meltano project as a Dagster resource: every step runs `meltano` as a user would.

One division per run: ``meltano run --state-id-suffix division-<code> tap-exactonline <loader>``
with ``TAP_EXACTONLINE_DIVISIONS=[<code>]``, so each division keeps its own STATE (state ID
``<environment>:tap-exactonline-to-<loader>:division-<code>``), which survives adding,
removing or resharding divisions. The token store is shared by every run on every host
(``token_store_url``, a PostgreSQL URL in production): Exact rotates the refresh token on each
refresh, and one chain must serve them all (docs/oauth.md).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, Failure, get_dagster_logger
from pydantic import Field

REPO_ROOT = Path(__file__).resolve().parents[2]


def record_counts(log: str) -> dict[str, int]:
    """Records per stream from the tap's ``record_count`` metrics in Meltano's JSON log."""
    records: dict[str, int] = {}
    for line in log.splitlines():
        if "record_count" not in line:
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        metric = event.get("metric_info") if isinstance(event, dict) else None
        if isinstance(metric, dict) and metric.get("metric") == "record_count":
            stream = str((metric.get("tags") or {}).get("stream"))
            records[stream] = records.get(stream, 0) + int(metric.get("value") or 0)
    return records


class MeltanoProject(ConfigurableResource):  # type: ignore[misc]
    """Runs ``meltano`` commands in the project.

    Settings default to environment variables, so one Dagster deployment configures them once:
    ``EXACTONLINE_MELTANO_PROJECT``, ``MELTANO_ENVIRONMENT``, ``EXACTONLINE_LOADER``,
    ``EXACTONLINE_TOKEN_STORE_URL``, ``EXACTONLINE_BI_REFRESH`` (``true`` to run bi-refresh).
    """

    project_dir: str = Field(default=str(REPO_ROOT), description="The Meltano project.")
    executable: str = Field(default="meltano", description="The meltano command.")
    environment: str = Field(default="prod", description="Meltano environment of the runs.")
    loader: str = Field(default="target-duckdb", description="Loader of the division runs.")
    token_store_url: str | None = Field(
        default=None,
        description="Token store shared by all runs (TAP_EXACTONLINE_TOKEN_STORE_PATH), e.g. "
        "postgresql+psycopg://user@host/db; None keeps the project's setting.",
    )
    bi_refresh: bool = Field(default=False, description="Run `bi-refresh all` in the fan-in.")
    env: dict[str, str] = Field(default_factory=dict, description="More environment variables.")

    @classmethod
    def from_environment(cls) -> MeltanoProject:
        """Build from the ``EXACTONLINE_*``/``MELTANO_ENVIRONMENT`` variables (defaults above)."""
        environ = os.environ
        return cls(
            project_dir=environ.get("EXACTONLINE_MELTANO_PROJECT", str(REPO_ROOT)),
            environment=environ.get("MELTANO_ENVIRONMENT", "prod"),
            loader=environ.get("EXACTONLINE_LOADER", "target-duckdb"),
            token_store_url=environ.get("EXACTONLINE_TOKEN_STORE_URL") or None,
            bi_refresh=environ.get("EXACTONLINE_BI_REFRESH", "").lower() in ("1", "true", "yes"),
        )

    def state_id(self, division: str) -> str:
        """Meltano's state ID of one division's runs."""
        return f"{self.environment}:tap-exactonline-to-{self.loader}:division-{division}"

    def _environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        environ = {**os.environ, **self.env, "MELTANO_ENVIRONMENT": self.environment}
        if self.token_store_url:
            environ["TAP_EXACTONLINE_TOKEN_STORE_PATH"] = self.token_store_url
        environ.update(extra or {})
        return environ

    def run(self, args: list[str], extra_env: dict[str, str] | None = None,
            *, what: str) -> subprocess.CompletedProcess[str]:
        """Run ``meltano <args>`` in the project; its output goes to the Dagster log.

        Raises:
            Failure: meltano exited non-zero (the last lines of its output attached).
        """
        logger = get_dagster_logger()
        logger.info("%s: meltano %s", what, " ".join(args))
        done = subprocess.run(  # noqa: S603 - meltano with the project's own arguments
            [self.executable, *args], cwd=self.project_dir, env=self._environ(extra_env),
            capture_output=True, text=True, check=False,
        )
        for line in done.stderr.splitlines()[-40:]:
            logger.debug(line)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise Failure(
                description=f"{what}: meltano {' '.join(args[:2])} exited {done.returncode}",
                metadata={"output (last lines)": tail},
            )
        return done

    def extract_load(self, division: str) -> dict[str, Any]:
        """Extract one division and load it; returns records per stream and the state ID."""
        env = {
            "TAP_EXACTONLINE_DIVISIONS": json.dumps([int(division)]),
            "TAP_EXACTONLINE_ALL_DIVISIONS": "false",
            "TAP_EXACTONLINE_PARALLEL_DIVISIONS": "1",
        }
        done = self.run(
            ["--log-format=json", "run", "--state-id-suffix", f"division-{division}",
             "tap-exactonline", self.loader],
            env, what=f"division {division}",
        )
        return {"records": record_counts(done.stderr), "state_id": self.state_id(division)}

    def divisions(self) -> list[dict[str, Any]]:
        """``exactonline divisions --json`` through the project's ``exactonline`` utility."""
        done = self.run(["invoke", "exactonline", "divisions", "--json"], what="divisions")
        lines = [line for line in done.stdout.splitlines() if line.startswith("[")]
        if not lines:
            raise Failure(description="exactonline divisions --json printed no JSON array")
        rows: list[dict[str, Any]] = json.loads(lines[-1])
        return rows
