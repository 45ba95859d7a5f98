"""End to end into PostgreSQL: `meltano run tap-exactonline target-postgres` (issue #16).

Every stream, with the project's loader defaults (``add_record_metadata``, ``hard_delete``) and
the tap's project settings (``emit_activate_version_messages``, ``full_table_tombstones``,
delete detection): after the first run, and again after the changes of the DuckDB test
(:data:`tests.e2e.helpers.CHANGES`: creates, updates and deletes in every family), a second
run and the delete-detection run of the weekly schedule, every loaded table compared field by
field with the sandbox truth: the rows without ``_sdc_deleted_at`` are exactly Exact's rows,
and every deleted row is gone or carries ``_sdc_deleted_at``. target-postgres keeps every
tombstone as a row with ``_sdc_deleted_at`` set (it hard-deletes only on ACTIVATE_VERSION):

* a contact deleted in Exact (sync stream): its tombstone from ``sync/Deleted``;
* a payment (Modified family, no deletion log): the delete-detection pass's tombstone;
* a cost center (full table): its full-table tombstone, kept until the next run's
  ACTIVATE_VERSION drops it; a receivable Exact's ReceivablesList no longer lists likewise.

The rows without ``_sdc_deleted_at`` equal the truth after the first run and after the last,
and so does every dbt current-state model built on PostgreSQL (``dbt-postgres:build-current``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_exactonline.streamtable import CATALOG, SPECS
from tests.e2e.helpers import (
    DELETE_DETECTION_PASS,
    REPO_ROOT,
    apply_changes,
    create_unused_cost_centers,
    meltano_env,
    run_meltano,
    tail,
)
from tests.oauth.postgres import postgres_server, unavailable_reason
from tests.support.current_models import current_model_problems
from tests.support.oracle import differences, expected_by_key
from tests.support.sandbox import SandboxProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

RUN = ["--log-format=json", "--environment=demo", "run", "tap-exactonline", "target-postgres"]
#: Extra variables of the runs (a way to see the test fail: full_table_tombstones off).
EXTRA_ENV: dict[str, str] = {}
TARGET = REPO_ROOT / ".meltano/loaders/target-postgres/venv/bin/target-postgres"
DBT = REPO_ROOT / ".meltano/utilities/dbt-postgres/venv/bin/dbt"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not (TARGET.exists() and DBT.exists()):
        pytest.skip("target-postgres or dbt-postgres not installed: run `make meltano-install`")
    with postgres_server() as url:
        yield url


def table(url: str, stream: str) -> tuple[dict[tuple[int, Any], dict[str, Any]], int]:
    """Rows of ``exactonline.<stream>`` keyed by (Division, key); and the doubled keys."""
    import psycopg

    key = SPECS[stream].key
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con:
        cur = con.execute(f'SELECT * FROM exactonline."{stream}"')
        names = [d.name for d in cur.description or []]
        # target-postgres makes Edm.Guid (format uuid) a uuid column: compare its text
        rows = [{n: str(v) if isinstance(v, uuid.UUID) else v
                 for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]
    by_key = {}
    for row in rows:
        value = row[key]
        by_key[(int(row["Division"]), str(value).lower() if isinstance(value, str) else value)
               ] = row
    return by_key, len(rows) - len(by_key)


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con:
        return con.execute(sql).fetchall()


def dbt_postgres_env(url: str) -> dict[str, str]:
    """The dbt-postgres utility's settings for the database ``url`` names."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return {"DBT_POSTGRES_HOST": parsed.host or "localhost",
            "DBT_POSTGRES_PORT": str(parsed.port or 5432),
            "DBT_POSTGRES_USER": parsed.username or "postgres",
            "DBT_POSTGRES_PASSWORD": parsed.password or "",
            "DBT_POSTGRES_DBNAME": parsed.database or "postgres"}


def compare(url: str, sandbox: SandboxProcess, divisions: list[int]
            ) -> tuple[list[str], dict[str, set[tuple[int, Any]]]]:
    """(differences of every table from the truth, keys of tombstone rows per stream)."""
    problems: list[str] = []
    tombstones: dict[str, set[tuple[int, Any]]] = {}
    for spec in CATALOG:
        rows, doubled = table(url, spec.name)
        expected = expected_by_key(sandbox, divisions, spec.name)
        tombstones[spec.name] = {k for k, r in rows.items() if r["_sdc_deleted_at"] is not None}
        current = {k: r for k, r in rows.items() if k not in tombstones[spec.name]}
        problems += differences(spec.name, expected, current)
        if tombstones[spec.name] & set(expected):
            problems.append(f"{spec.name}: current rows marked deleted")
        if doubled:
            problems.append(f"{spec.name}: {doubled} keys stored more than once")
    return problems, tombstones


def test_loaded_postgres_tables_equal_the_truth_after_deletes(
    postgres_url: str, tmp_path: Path
) -> None:
    sandbox = SandboxProcess(seed=5, divisions=2, rows=100, no_limits=True)
    sandbox.start(log_dir=tmp_path)
    try:
        env = meltano_env(
            sandbox, tmp_path,
            TAP_EXACTONLINE__SELECT='["*.*"]', TAP_EXACTONLINE_OPT_IN_STREAMS='["employees"]',
            TARGET_POSTGRES_SQLALCHEMY_URL=postgres_url,
            **EXTRA_ENV,
        )
        divisions = requests.get(f"{sandbox.url}/_sandbox/divisions", timeout=30).json()[
            "accessible"]
        create_unused_cost_centers(sandbox, divisions)
        first = run_meltano(RUN, env, tmp_path / "first.log", timeout=300)
        assert first.returncode == 0, tail(first)
        problems, _ = compare(postgres_url, sandbox, divisions)
        assert not problems, "\n".join(problems)

        before = {s.name: set(expected_by_key(sandbox, divisions, s.name)) for s in CATALOG}
        apply_changes(sandbox, divisions)
        gone = {name: keys - set(expected_by_key(sandbox, divisions, name))
                for name, keys in before.items()}
        second = run_meltano(RUN, env, tmp_path / "second.log", timeout=300)
        assert second.returncode == 0, tail(second)
        # Full table: the second run's tombstones mark the rows Exact no longer has...
        full_table = ("cost_centers", "receivables_list")
        for stream in full_table:
            rows, _ = table(postgres_url, stream)
            assert gone[stream], stream
            assert all(rows[k]["_sdc_deleted_at"] is not None for k in gone[stream]), stream
        detection = run_meltano(RUN, {**env, **DELETE_DETECTION_PASS},
                                tmp_path / "delete-detection.log", timeout=300)
        assert detection.returncode == 0, tail(detection)

        problems, tombstones = compare(postgres_url, sandbox, divisions)
        assert not problems, "\n".join(problems)
        # ... and the next run's ACTIVATE_VERSION (hard_delete) drops them.
        for stream in full_table:
            assert not gone[stream] & set(table(postgres_url, stream)[0]), stream
        # Sync and Modified family: target-postgres keeps the tombstone as a marked row.
        for stream in ("contacts", "payments"):
            assert gone[stream], stream
            assert gone[stream] <= tombstones[stream], stream

        # dbt on PostgreSQL: every current-state model equals the truth too.
        dbt = run_meltano(["invoke", "dbt-postgres:build-current"],
                          {**env, **dbt_postgres_env(postgres_url)}, tmp_path / "dbt.log",
                          timeout=600)
        assert dbt.returncode == 0, tail(dbt)
        problems = current_model_problems(lambda sql: query(postgres_url, sql),
                                          "analytics_current", sandbox, divisions)
        assert not problems, "\n".join(problems)
    finally:
        sandbox.stop()
