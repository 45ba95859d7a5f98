"""Assets: the loaded tables per division, the dbt models over them, the BI refresh.

* ``exactonline_division``: one multi-asset over the stream tables
  (``["exactonline", <stream>]``, the keys dagster-dbt gives the dbt sources), partitioned by
  division. A materialization of partition ``3100001`` is one
  ``meltano run --state-id-suffix division-3100001 tap-exactonline <loader>``.
* ``exactonline_dbt_models``: every model and test of ``transform/`` (dagster-dbt), one
  ``dbt build`` for all divisions; upstream of it are all division partitions.
* ``bi_refresh``: ``meltano invoke bi-refresh all`` after the models (skipped unless
  ``EXACTONLINE_BI_REFRESH`` is set: no BI tool configured).
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    asset,
    multi_asset,
)
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from exactonline_dagster.meltano import REPO_ROOT, MeltanoProject
from exactonline_dagster.partitions import DIVISIONS
from tap_exactonline.streamtable import CATALOG

#: Streams the project loads: the extractor's default selection (payroll data is opt-in).
STREAMS = [spec.name for spec in CATALOG if spec.name != "employees"]

#: Output of transform/profiles/profiles.yml: duckdb, bigquery or snowflake (``DBT_TARGET``).
DBT_TARGET = os.environ.get("DBT_TARGET", "duckdb")
DBT_PROJECT = DbtProject(
    project_dir=REPO_ROOT / "transform",
    profiles_dir=REPO_ROOT / "transform" / "profiles",
    target=DBT_TARGET,
)


def dbt_executable() -> str:
    """The dbt command of the ``dbt-<target>`` Meltano utility (else ``EXACTONLINE_DBT``, PATH)."""
    configured = os.environ.get("EXACTONLINE_DBT")
    if configured:
        return configured
    utility = REPO_ROOT / ".meltano" / "utilities" / f"dbt-{DBT_TARGET}" / "venv" / "bin" / "dbt"
    return str(utility) if utility.exists() else (shutil.which("dbt") or "dbt")


def dbt_resource() -> DbtCliResource:
    """The dbt CLI over ``transform/``; connection settings from ``DBT_<TARGET>_*`` variables."""
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable(),
                          target=DBT_TARGET)


def prepare_manifest() -> None:
    """``dbt parse`` once, so the models can be declared (dagster-dbt reads the manifest).

    A deployment runs ``dagster-dbt project prepare-and-package`` at build time instead.
    """
    subprocess.run(  # noqa: S603 - our own dbt, fixed arguments
        [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT.project_dir),
         "--profiles-dir", str(DBT_PROJECT.profiles_dir), "--target", DBT_TARGET,
         "--target-path", str(DBT_PROJECT.manifest_path.parent)],
        check=True, capture_output=True, timeout=600,
    )


if not DBT_PROJECT.manifest_path.exists():
    prepare_manifest()


@multi_asset(
    name="exactonline_division",
    specs=[
        AssetSpec(["exactonline", stream], partitions_def=DIVISIONS, group_name="exactonline",
                  kinds={"meltano"}, description=f"Stream {stream} of tap-exactonline, "
                  "loaded one division per partition.")
        for stream in STREAMS
    ],
    op_tags={"exactonline/step": "extract-load"},
)
def exactonline_division(
    context: AssetExecutionContext, meltano: MeltanoProject
) -> Iterator[MaterializeResult]:
    """Extract and load one division (the partition key is its code)."""
    division = context.partition_key
    outcome = meltano.extract_load(division)
    records: dict[str, int] = outcome["records"]
    context.log.info("division %s: %d records (state %s)", division,
                     sum(records.values()), outcome["state_id"])
    for stream in STREAMS:
        yield MaterializeResult(
            asset_key=["exactonline", stream],
            metadata={"division": int(division), "records": records.get(stream, 0),
                      "state_id": outcome["state_id"]},
        )


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT,
            name="exactonline_dbt_models")
def exactonline_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Any:
    """One ``dbt build`` of the project over every division loaded."""
    yield from dbt.cli(["build"], context=context).stream()


@asset(deps=[exactonline_dbt_models], group_name="bi", kinds={"meltano"})
def bi_refresh(context: AssetExecutionContext, meltano: MeltanoProject) -> MaterializeResult:
    """Refresh the BI tools once the models are built (``meltano invoke bi-refresh all``)."""
    if not meltano.bi_refresh:
        context.log.info("bi-refresh skipped: EXACTONLINE_BI_REFRESH is not set")
        return MaterializeResult(metadata={"refreshed": False})
    meltano.run(["invoke", "bi-refresh", "all"], what="bi-refresh")
    return MaterializeResult(metadata={"refreshed": True})
