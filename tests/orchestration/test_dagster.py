"""The Dagster project (orchestration/): one partition per division, then the fan-in.

In process, as ``dagster dev`` would run it: Dagster's instance storage, Meltano's system
database (per-division STATE) and the tap's token store all live on one throwaway PostgreSQL
server; three sandbox divisions are discovered by the sensor (through ``exactonline divisions
--json``), loaded one partition per run (``meltano run --state-id-suffix division-<code>``)
into DuckDB, then ONE dbt build runs over all of them. A second tick reads only what changed.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.oauth.postgres import postgres_server, unavailable_reason
from tests.support.meltano import REPO_ROOT, isolated_meltano_env
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import expected_records

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1800)]

dagster = pytest.importorskip("dagster", reason="orchestration extra not installed")
sys.path.insert(0, str(REPO_ROOT / "orchestration"))


def _records(result: Any, stream: str) -> int:
    for materialization in result.asset_materializations_for_node("exactonline_division"):
        if materialization.asset_key.path == ["exactonline", stream]:
            return int(materialization.metadata["records"].value)
    raise AssertionError(f"no materialization of {stream}")


@pytest.fixture(scope="module")
def postgres_url() -> Any:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with postgres_server() as url:
        import psycopg

        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE DATABASE dagster")
            conn.execute("CREATE DATABASE meltano")
        yield url


def test_division_partitions_then_one_fan_in(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb
    import psycopg
    from dagster import (
        AssetKey,
        AssetSelection,
        SensorResult,
        build_schedule_context,
        build_sensor_context,
    )

    base = postgres_url.rsplit("/", 1)[0]
    duck = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DBT_TARGET", "duckdb")
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(duck))
    # building part of the project: no tests that also read models left out
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    from exactonline_dagster.automation import (
        division_job,
        fan_in_job,
        fan_in_sensor,
        new_divisions_sensor,
        tick_schedule,
    )
    from exactonline_dagster.definitions import build_definitions
    from exactonline_dagster.meltano import MeltanoProject

    with SandboxProcess(seed=31, divisions=3, rows=400, no_limits=True) as box:
        info = requests.get(f"{box.url}/_sandbox/divisions", timeout=30).json()
        codes = [str(c) for c in info["accessible"]]
        # the streams the trial balance is built from (the fan-in below builds that part)
        graph = build_definitions(MeltanoProject()).resolve_asset_graph()
        trial_balance = next(k for k in graph.get_all_asset_keys()
                             if k.path[-1] == "mart_trial_balance")
        upstream = AssetSelection.assets(trial_balance).upstream().resolve(graph)
        streams = sorted(k.path[1] for k in upstream if k.path[0] == "exactonline")
        meltano = MeltanoProject(
            project_dir=str(REPO_ROOT),
            executable=str(Path(sys.executable).parent / "meltano"),
            environment="demo",
            loader="target-duckdb",
            token_store_url=postgres_url,
            env=isolated_meltano_env(
                box, tmp_path,
                MELTANO_DATABASE_URI=f"{base}/meltano",
                TARGET_DUCKDB_FILEPATH=str(duck),
                # the division the token cannot read: listed, never made a partition
                TAP_EXACTONLINE_DIVISIONS=f"[{info['inaccessible'][0]}]",
                TAP_EXACTONLINE__SELECT=json.dumps([f"{s}.*" for s in streams]),
            ),
        )
        defs = build_definitions(meltano)
        storage = {"postgres": {"postgres_url": f"{base.replace('+psycopg', '')}/dagster"}}
        with dagster.instance_for_test(overrides={"storage": storage}) as instance:
            # the sensor adds what `exactonline divisions --json` lists as readable
            instance.add_dynamic_partitions("exact_division", [codes[0]])
            found = new_divisions_sensor(build_sensor_context(instance=instance,
                                                              resources={"meltano": meltano}))
            assert isinstance(found, SensorResult)
            (request,) = found.dynamic_partitions_requests
            assert sorted(request.partition_keys) == codes[1:]
            instance.add_dynamic_partitions("exact_division", list(request.partition_keys))

            def tick(at: dt.datetime) -> dict[str, Any]:
                context = build_schedule_context(instance=instance, scheduled_execution_time=at)
                runs = {}
                for run in tick_schedule(context):
                    result = defs.resolve_job_def(division_job.name).execute_in_process(
                        partition_key=run.partition_key, instance=instance, tags=run.tags)
                    assert result.success
                    runs[run.partition_key] = result
                assert sorted(runs) == codes
                return runs

            first = tick(dt.datetime(2026, 1, 5, 2, tzinfo=dt.timezone.utc))
            fan_in = fan_in_sensor(build_sensor_context(instance=instance))
            assert fan_in.run_key == "fan-in:2026-01-05T02:00:00+00:00"
            # the fan-in job's one dbt build, here over the trial balance and what it reads
            # (the whole project takes minutes on a busy 2-core machine)
            wanted = {k for k in upstream if k.path[0] != "exactonline"} | {AssetKey("bi_refresh")}
            built = defs.resolve_job_def(fan_in_job.name).execute_in_process(
                instance=instance, tags=fan_in.tags, asset_selection=sorted(wanted))
            assert built.success

            # every division's rows in the warehouse; the models over all three divisions
            with duckdb.connect(str(duck), read_only=True) as con:
                for code in codes:
                    loaded = con.execute("select count(*) from exactonline.transaction_lines "
                                         "where division = ?", [int(code)]).fetchone()
                    want = expected_records(box, int(code), "transaction_lines")
                    assert loaded == (len(want),), code
                schema = con.execute("select table_schema from information_schema.tables "
                                     "where table_name = 'mart_trial_balance'").fetchone()
                assert schema
                divisions = con.execute(f"select distinct division from {schema[0]}."
                                        "mart_trial_balance order by 1").fetchall()
                assert [str(d) for (d,) in divisions] == codes
            assert _records(first[codes[0]], "transaction_lines") > 0

            # one refresh-token chain in PostgreSQL; one Meltano STATE per division there
            with psycopg.connect(postgres_url.replace("+psycopg", "")) as conn:
                assert conn.execute(
                    "select count(*) from exactonline_token_store").fetchone() == (1,)
            with psycopg.connect(f"{base.replace('+psycopg', '')}/meltano") as conn:
                states = {r[0] for r in conn.execute("select state_id from state").fetchall()}
            assert {f"demo:tap-exactonline-to-target-duckdb:division-{c}" for c in codes} <= states

            # second tick: incremental per division; only the changed one reads rows
            changed = box.mutate({"division": int(codes[1]), "stream": "transaction_lines",
                                  "action": "create", "count": 1})["changed"]
            second = tick(dt.datetime(2026, 1, 6, 2, tzinfo=dt.timezone.utc))
            new_lines = [c for c in changed if c["stream"] == "transaction_lines"]
            assert _records(second[codes[1]], "transaction_lines") == len(new_lines) > 0
            for code in (codes[0], codes[2]):
                assert _records(second[code], "transaction_lines") == 0, code
                assert _records(second[code], "gl_accounts") == 0, code
            again = fan_in_sensor(build_sensor_context(instance=instance,
                                                       cursor=fan_in.run_key.split(":", 1)[1]))
            assert again.run_key == "fan-in:2026-01-06T02:00:00+00:00"
            repeat = fan_in_sensor(build_sensor_context(instance=instance,
                                                        cursor="2026-01-06T02:00:00+00:00"))
            assert isinstance(repeat, dagster.SkipReason)  # one fan-in per tick
