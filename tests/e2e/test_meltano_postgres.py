"""End to end into PostgreSQL: `meltano run tap-exactonline target-postgres` (issue #16).

With the project's loader defaults (``add_record_metadata``, ``hard_delete``) and the tap's
``emit_activate_version_messages``: after creates and deletes in the sandbox and a second run,
the loaded tables hold the sandbox truth. A cost center deleted in Exact (full-table stream)
arrives as a full-table tombstone (``full_table_tombstones``, on in the project), kept with
``_sdc_deleted_at`` set until the next run's ACTIVATE_VERSION drops it. A contact deleted in
Exact (sync stream) arrives as a tombstone, which target-postgres keeps with
``_sdc_deleted_at`` set (it hard-deletes only on ACTIVATE_VERSION): the rows without
``_sdc_deleted_at`` equal the truth.
A payment deleted in Exact (Modified family, no deletion log) is found by the second run's
delete-detection pass (``TAP_EXACTONLINE_DELETE_DETECTION_PASS=true``, as the project's weekly
schedule sets it; both runs record the keys they emit) and marked the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import REPO_ROOT, meltano_env, run_meltano, tail
from tests.oauth.postgres import postgres_server, unavailable_reason
from tests.support.sandbox import SandboxProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

RUN = ["--log-format=json", "--environment=demo", "run", "tap-exactonline", "target-postgres"]
STREAMS = ("deleted", "contacts", "accounts", "cost_centers", "payments")
#: Extra variables of the runs (a way to see the test fail: emit_activate_version_messages off).
EXTRA_ENV: dict[str, str] = {}
TARGET = REPO_ROOT / ".meltano/loaders/target-postgres/venv/bin/target-postgres"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not TARGET.exists():
        pytest.skip("target-postgres not installed: run `make meltano-install`")
    with postgres_server() as url:
        yield url


def table(url: str, stream: str) -> dict[tuple[int, str], dict[str, Any]]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con:
        cur = con.execute(f'SELECT * FROM exactonline."{stream}"')
        names = [d.name for d in cur.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    return {(int(r["Division"]), str(r["ID"]).lower()): r for r in rows}


def truth(sandbox: SandboxProcess, divisions: list[int], stream: str) -> set[tuple[int, str]]:
    return {(d, str(r["ID"]).lower()) for d in divisions for r in sandbox.truth(d, stream)}


def test_loaded_postgres_tables_equal_the_truth_after_deletes(
    postgres_url: str, tmp_path: Path
) -> None:
    import requests

    sandbox = SandboxProcess(seed=5, divisions=2, rows=100, no_limits=True)
    sandbox.start(log_dir=tmp_path)
    try:
        env = meltano_env(
            sandbox, tmp_path,
            TAP_EXACTONLINE__SELECT='["' + '.*", "'.join(STREAMS) + '.*"]',
            TARGET_POSTGRES_SQLALCHEMY_URL=postgres_url,
            **EXTRA_ENV,
        )
        first = run_meltano(RUN, env, tmp_path / "first.log")
        assert first.returncode == 0, tail(first)
        divisions = requests.get(f"{sandbox.url}/_sandbox/divisions", timeout=30).json()[
            "accessible"]
        gone: dict[str, set[tuple[int, str]]] = {"contacts": set(), "cost_centers": set(),
                                                 "payments": set()}
        for division in divisions:
            for stream in gone:
                answer = sandbox.mutate({"division": division, "stream": stream,
                                         "action": "delete", "count": 1})
                gone[stream] |= {(division, str(c["ID"]).lower()) for c in answer["changed"]
                                 if c["stream"] == stream}
            sandbox.mutate({"division": division, "stream": "cost_centers", "action": "create",
                            "count": 1})
        env["TAP_EXACTONLINE_DELETE_DETECTION_PASS"] = "true"
        second = run_meltano(RUN, env, tmp_path / "second.log")
        assert second.returncode == 0, tail(second)

        for stream in ("contacts", "accounts", "cost_centers", "payments"):
            rows = table(postgres_url, stream)
            current = {k for k, r in rows.items() if r["_sdc_deleted_at"] is None}
            assert current == truth(sandbox, divisions, stream), stream
        # full-table: the deleted cost centers are gone (ACTIVATE_VERSION with hard_delete
        # drops the rows of earlier reads) or marked (the full-table tombstone of this run)
        assert gone["cost_centers"]
        cost_centers = table(postgres_url, "cost_centers")
        assert all(cost_centers[k]["_sdc_deleted_at"] is not None
                   for k in gone["cost_centers"] & set(cost_centers))
        # sync: the tombstone marks the contact deleted, with Exact's deletion moment
        contacts = table(postgres_url, "contacts")
        assert gone["contacts"]
        assert all(contacts[k]["_sdc_deleted_at"] is not None for k in gone["contacts"])
        # Modified family: delete detection's tombstone marks the payment deleted
        payments = table(postgres_url, "payments")
        assert gone["payments"]
        assert all(payments[k]["_sdc_deleted_at"] is not None for k in gone["payments"])
    finally:
        sandbox.stop()
