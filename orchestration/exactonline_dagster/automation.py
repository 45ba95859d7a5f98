"""When things run: the divisions sensor, the schedule tick and the fan-in sensor.

* :data:`new_divisions_sensor` adds a partition for every division ``exactonline divisions
  --json`` says the token can read (hourly).
* :data:`tick_schedule` (cron ``EXACTONLINE_CRON``, default 02:00 daily) asks for one run per
  division partition, all tagged with the tick (``exactonline/tick``).
* :data:`fan_in_sensor` starts ONE run of the fan-in job (dbt build, then bi-refresh) once every
  run of the latest tick has finished (succeeded, failed or canceled: the models are built over
  what landed; a failed division keeps its previous rows and is retried next tick).
"""

import os
from collections.abc import Iterator

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from exactonline_dagster.assets import bi_refresh, exactonline_dbt_models, exactonline_division
from exactonline_dagster.meltano import MeltanoProject
from exactonline_dagster.partitions import DIVISIONS

TICK_TAG = "exactonline/tick"
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}

division_job = define_asset_job(
    "exactonline_division_job",
    selection=AssetSelection.assets(exactonline_division),
    partitions_def=DIVISIONS,
    tags={"exactonline/warehouse": "load"},
    description="Extract and load one division (one partition) with Meltano.",
)
fan_in_job = define_asset_job(
    "exactonline_fan_in_job",
    selection=AssetSelection.assets(exactonline_dbt_models, bi_refresh),
    tags={"exactonline/warehouse": "transform"},
    description="After a tick's divisions: one dbt build and one bi-refresh.",
)


@sensor(job=division_job, minimum_interval_seconds=3600,
        default_status=DefaultSensorStatus.RUNNING)
def new_divisions_sensor(
    context: SensorEvaluationContext, meltano: MeltanoProject
) -> SensorResult | SkipReason:
    """Add a partition for each readable division that has none yet."""
    known = set(context.instance.get_dynamic_partitions(DIVISIONS.name))
    rows = meltano.divisions()
    unreadable = [f"{r['code']} ({r.get('reason')})" for r in rows if not r.get("readable")]
    if unreadable:
        context.log.warning("divisions the token cannot read (no partition): %s",
                            ", ".join(unreadable))
    new = sorted(str(r["code"]) for r in rows if r.get("readable") and str(r["code"]) not in known)
    if not new:
        return SkipReason(f"no new division ({len(known)} known)")
    context.log.info("new divisions: %s", ", ".join(new))
    return SensorResult(dynamic_partitions_requests=[DIVISIONS.build_add_request(new)])


@schedule(job=division_job, cron_schedule=os.environ.get("EXACTONLINE_CRON", "0 2 * * *"),
          default_status=DefaultScheduleStatus.RUNNING)
def tick_schedule(context: ScheduleEvaluationContext) -> Iterator[RunRequest]:
    """One run per division partition, tagged with this tick."""
    tick = context.scheduled_execution_time.isoformat()
    for division in context.instance.get_dynamic_partitions(DIVISIONS.name):
        yield RunRequest(run_key=f"{tick}:{division}", partition_key=division,
                         tags={TICK_TAG: tick})


@sensor(job=fan_in_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def fan_in_sensor(context: SensorEvaluationContext) -> RunRequest | SkipReason:
    """One fan-in run per tick, once every division run of that tick has finished."""
    latest = context.instance.get_runs(filters=RunsFilter(job_name=division_job.name), limit=50)
    ticks = [run.tags[TICK_TAG] for run in latest if TICK_TAG in run.tags]
    if not ticks:
        return SkipReason("no scheduled tick yet")
    tick = max(ticks)
    if context.cursor == tick:
        return SkipReason(f"tick {tick}: fan-in already requested")
    runs = context.instance.get_runs(filters=RunsFilter(tags={TICK_TAG: tick},
                                                        job_name=division_job.name))
    waiting = [run for run in runs if run.status not in FINISHED]
    if waiting:
        return SkipReason(f"tick {tick}: {len(waiting)} of {len(runs)} division runs not done")
    failed = sorted(run.tags.get("dagster/partition", "?") for run in runs
                    if run.status != DagsterRunStatus.SUCCESS)
    if failed:
        context.log.warning("tick %s: divisions %s did not load; building over what landed",
                            tick, ", ".join(failed))
    context.update_cursor(tick)
    return RunRequest(run_key=f"fan-in:{tick}", tags={TICK_TAG: tick})
