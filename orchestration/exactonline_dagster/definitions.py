"""The Dagster definitions of tap-exactonline (``dagster dev -w orchestration/workspace.yaml``)."""

from __future__ import annotations

from dagster import Definitions

from exactonline_dagster.assets import (
    bi_refresh,
    dbt_resource,
    exactonline_dbt_models,
    exactonline_division,
)
from exactonline_dagster.automation import (
    division_job,
    fan_in_job,
    fan_in_sensor,
    new_divisions_sensor,
    tick_schedule,
)
from exactonline_dagster.meltano import MeltanoProject


def build_definitions(meltano: MeltanoProject | None = None) -> Definitions:
    """Everything of the project (``meltano``: default ``MeltanoProject.from_environment()``)."""
    return Definitions(
        assets=[exactonline_division, exactonline_dbt_models, bi_refresh],
        jobs=[division_job, fan_in_job],
        schedules=[tick_schedule],
        sensors=[new_divisions_sensor, fan_in_sensor],
        resources={"meltano": meltano or MeltanoProject.from_environment(),
                   "dbt": dbt_resource()},
    )


defs = build_definitions()
