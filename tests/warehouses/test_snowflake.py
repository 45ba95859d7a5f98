"""tap-exactonline -> target-snowflake (its Meltano plugin venv) -> a fakesnow server.

The tap runs through ``meltano invoke tap-exactonline-history`` (tap-exactonline with the audit
stream map and no key properties, i.e. the append-only history mode: it allows selecting a few
streams, which the '*' map of tap-exactonline does not with singer-sdk 0.54.9);
its output goes into the real plugin of meltano/warehouses.meltano.yml
(meltanolabs-target-snowflake 0.20.4 in ``.meltano/loaders/target-snowflake/venv``) with the
config ``meltano config target-snowflake`` resolves. Meltano strips PYTHONPATH from plugin
environments, so the target is started here, with ``fakesnow_site/`` on PYTHONPATH: its
``sitecustomize`` adds host, port and ``protocol=http`` to the connector's connect arguments
(the target has no such settings) and loads each batch with INSERT (fakesnow has no stage for
PUT / COPY INTO / MERGE INTO). The second run starts from the STATE the target emitted after
the first.

Then ``meltano invoke dbt-snowflake build`` (the dbt project on the Snowflake adapter, with the
profile's test-only host/port/protocol) builds and tests every model over the loaded tables in
fakesnow, and the tests compare current state, trial balance and history with the truth.

Covered: key-pair authentication plumbing (the target reads the PEM key and the connector logs
in with it; fakesnow does not verify the signature), DDL (schema, tables, Snowflake column
types), record conformance, append-only loads across two runs (every version kept), audit
columns, STATE (the second run is incremental). Not covered: PUT, COPY INTO, MERGE INTO (so
``load_method: upsert``), file formats, warehouses/roles.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.sandbox import SandboxProcess, free_port
from tests.warehouses.helpers import (
    DBT_SOURCE_STREAMS,
    MELTANO,
    PROJECT_ROOT,
    cents,
    ensure_plugins,
    meltano,
    meltano_env,
    plugin_venv,
    truth,
)
from tests.warehouses.tools import ToolUnavailable, tool_executable, tool_venv

# Loading through fakesnow costs one HTTP round trip per statement: minutes on a busy machine.
pytestmark = [pytest.mark.snowflake, pytest.mark.timeout(1500)]

DATABASE = "EXACTONLINE"
SCHEMA = "RAW"  # not EXACTONLINE: fakesnow (DuckDB) cannot tell a same-named database/schema apart
DIVISIONS = (3100001, 3100018)
STREAMS = ("transaction_lines", "accounts", "gl_accounts", "cost_centers", "receivables")
MODEL_SCHEMA = "ANALYTICS"
# What the marts and the reconciliation need; budgets and the RGS mapping (hundreds of rows,
# slow to insert through fakesnow) are left out: their models build empty.
LOADED = tuple(s for s in DBT_SOURCE_STREAMS
               if s not in ("budgets", "gl_schemes", "gl_account_classification_mappings"))
SITE = Path(__file__).parent / "fakesnow_site"

QUERY = """
import json, sys
import snowflake.connector
con = snowflake.connector.connect(account="fake", user="reader", password="x",
    database=sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]), protocol="http")
cur = con.cursor()
cur.execute(sys.argv[3])
names = [d[0] for d in cur.description]
print(json.dumps([dict(zip(names, row)) for row in cur.fetchall()], default=str))
"""


@dataclass
class Snowflake:
    port: int
    python: Path
    sandbox: SandboxProcess
    updated: list[str]

    def query(self, sql: str) -> list[dict[str, Any]]:
        proc = subprocess.run(  # fakesnow's own venv has the connector
            [str(self.python), "-c", QUERY, DATABASE, str(self.port), sql],
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout)


def _start_fakesnow(work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = (work / "fakesnow.log").open("wb")
    proc = subprocess.Popen(
        [str(tool_executable("fakesnow")), "-s", "-p", str(port), "--host", "127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (work / "fakesnow.log").read_text()[-300:]
            raise ToolUnavailable(f"fakesnow exited: {tail}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.2)
    proc.kill()
    raise ToolUnavailable("fakesnow did not listen within 60 s")


def _meltano_stdout(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run([str(MELTANO), *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _load(env: dict[str, str], target_env: dict[str, str], config: Path, work: Path, run: int,
          state: Path | None) -> Path:
    """Tap (meltano invoke, optionally from ``state``) -> file -> target; returns the new STATE."""
    messages = work / f"messages-{run}.jsonl"
    args = ["invoke", "tap-exactonline-history"] + (["--state", str(state)] if state else [])
    with messages.open("w") as out, (work / f"tap-{run}.log").open("w") as log:
        proc = subprocess.run([str(MELTANO), *args], cwd=PROJECT_ROOT, env=env, stdout=out,
                              stderr=log, timeout=600, check=False)
    assert proc.returncode == 0, (work / f"tap-{run}.log").read_text()[-3000:]
    target = plugin_venv("loader", "target-snowflake") / "bin" / "target-snowflake"
    with messages.open() as stdin, (work / f"target-{run}.log").open("w") as log:
        proc = subprocess.run([str(target), "--config", str(config)], stdin=stdin, env=target_env,
                              capture_output=False, stdout=subprocess.PIPE, stderr=log,
                              text=True, timeout=600, check=False)
    assert proc.returncode == 0, (work / f"target-{run}.log").read_text()[-3000:]
    new_state = work / f"state-{run}.json"
    new_state.write_text(proc.stdout.strip().splitlines()[-1])
    return new_state


@pytest.fixture(scope="module")
def snowflake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snowflake]:
    work = tmp_path_factory.mktemp("snowflake")
    try:
        server, port = _start_fakesnow(work)
        python = tool_venv("fakesnow") / "bin" / "python"
    except ToolUnavailable as exc:
        pytest.skip(f"fakesnow unavailable: {exc}")
    ensure_plugins(("extractor", "tap-exactonline"), ("loader", "target-snowflake"),
                   ("utility", "dbt-snowflake"))
    sandbox = SandboxProcess(seed=17, divisions=2, rows=200)
    try:
        sandbox.start(log_dir=work)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_path = work / "snowflake_key.p8"
        key_path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"throwaway-passphrase")))
        env = meltano_env(sandbox, work, work / "unused.duckdb")
        env.update({
            "TARGET_SNOWFLAKE_ACCOUNT": "exact-fake",
            "TARGET_SNOWFLAKE_USER": "LOADER",
            "TARGET_SNOWFLAKE_PRIVATE_KEY_PATH": str(key_path),
            "TARGET_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "throwaway-passphrase",
            "TARGET_SNOWFLAKE_DATABASE": DATABASE,
            "TARGET_SNOWFLAKE_DEFAULT_TARGET_SCHEMA": SCHEMA,
            "TARGET_SNOWFLAKE_WAREHOUSE": "LOADING",
            "TARGET_SNOWFLAKE_ROLE": "LOADER",
            # Every stream the dbt project reads (dbt-snowflake builds over them below).
            "TAP_EXACTONLINE_HISTORY__SELECT": json.dumps(
                [f"{s}.*" for s in LOADED]),
        })
        config = work / "target-config.json"
        config.write_text(_meltano_stdout(["config", "--unsafe", "print", "target-snowflake"], env))
        target_env = {**env, "PYTHONPATH": str(SITE), "FAKESNOW_HOST": "127.0.0.1",
                      "FAKESNOW_PORT": str(port)}
        state = _load(env, target_env, config, work, 1, None)
        updated = [c["ID"] for c in sandbox.mutate(
            {"division": DIVISIONS[0], "stream": "accounts", "action": "update", "count": 2}
        )["changed"]]
        _load(env, target_env, config, work, 2, state)
        dbt_env = {**env, "DBT_SNOWFLAKE_ACCOUNT": "exact-fake", "DBT_SNOWFLAKE_USER": "LOADER",
                   "DBT_SNOWFLAKE_PRIVATE_KEY_PATH": str(key_path),
                   "DBT_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "throwaway-passphrase",
                   "DBT_SNOWFLAKE_DATABASE": DATABASE, "DBT_SNOWFLAKE_SOURCE_SCHEMA": SCHEMA,
                   "DBT_SNOWFLAKE_SCHEMA": MODEL_SCHEMA, "DBT_SNOWFLAKE_HOST": "127.0.0.1",
                   "DBT_SNOWFLAKE_PORT": str(port), "DBT_SNOWFLAKE_PROTOCOL": "http"}
        # dbt's unit tests (literal fixtures) run in the DuckDB build; here the models and data
        # tests, the reconciliation with Exact's reports included, run on Snowflake SQL.
        meltano(["invoke", "dbt-snowflake", "build", "--exclude", "test_type:unit"], dbt_env,
                work / "dbt-build.log")
        yield Snowflake(port=port, python=python, sandbox=sandbox, updated=updated)
    finally:
        sandbox.stop()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.mark.parametrize("stream", STREAMS)
def test_every_truth_row_is_loaded(snowflake: Snowflake, stream: str) -> None:
    expected = {(r["Division"], r["ID"]) for d in DIVISIONS
                for r in snowflake.sandbox.truth(d, stream)}
    # tombstones (deletions, kept by this append-only load) are not rows of the truth
    rows = snowflake.query(f"select distinct division, id from {SCHEMA}.{stream.upper()} "
                           "where _sdc_deleted_at is null")
    assert {(int(r["DIVISION"]), r["ID"]) for r in rows} == expected
    assert expected


def test_append_only_keeps_every_version(snowflake: Snowflake) -> None:
    accounts = {a["ID"]: a["Timestamp"] for a in truth(snowflake.sandbox, DIVISIONS, "accounts")}
    rows = snowflake.query(f"select id, timestamp from {SCHEMA}.ACCOUNTS "
                           "where _sdc_deleted_at is null")
    versions: dict[str, list[int]] = {}
    for r in rows:
        versions.setdefault(r["ID"], []).append(int(r["TIMESTAMP"]))
    assert {i for i, v in versions.items() if len(v) == 2} == set(snowflake.updated)
    assert {i: max(v) for i, v in versions.items()} == accounts


def test_amounts_types_and_metadata(snowflake: Snowflake) -> None:
    lines = truth(snowflake.sandbox, DIVISIONS, "transaction_lines")
    rows = snowflake.query(f"""select division, sum(amountdc) as total, count(*) as n,
        count(_sdc_extracted_at) as extracted, count(_extracted_at) as audited,
        count_if(_source = 'exact_online') as sourced,
        count_if(_record_key = division || ':' || id) as keyed
        from {SCHEMA}.TRANSACTION_LINES group by division""")
    expected: dict[int, Any] = {}
    for line in lines:
        expected[line["Division"]] = expected.get(line["Division"], 0) + cents(line["AmountDC"])
    assert {int(r["DIVISION"]): cents(r["TOTAL"]) for r in rows} == expected
    assert all(r["N"] == r["EXTRACTED"] == r["AUDITED"] == r["SOURCED"] == r["KEYED"]
               for r in rows)
    types = {r["COLUMN_NAME"]: r["DATA_TYPE"] for r in snowflake.query(
        f"""select column_name, data_type from information_schema.columns
        where table_schema = '{SCHEMA}' and table_name = 'TRANSACTION_LINES'""")}
    # Measured (docs/warehouses.md): target-snowflake makes FLOAT of every number (no schema
    # hint on a number changes that) and NUMBER(38,0) of every integer, bounds or not.
    assert types["AMOUNTDC"] == "FLOAT"
    assert types["TIMESTAMP"] == "NUMBER"
    assert types["FINANCIALYEAR"] == "NUMBER"
    assert types["DATE"].startswith("TIMESTAMP")
    assert types["ID"] == "TEXT"
    flags = {r["COLUMN_NAME"]: r["DATA_TYPE"] for r in snowflake.query(
        f"""select column_name, data_type from information_schema.columns
        where table_schema = '{SCHEMA}' and table_name = 'ACCOUNTS'""")}
    assert flags["ISSUPPLIER"] == "BOOLEAN"


# -- dbt-snowflake over the loaded tables ------------------------------------------------------

def test_dbt_current_state_equals_truth(snowflake: Snowflake) -> None:
    """`meltano invoke dbt-snowflake build` ran (all models and dbt tests passed); the
    current-state models of the append-only load hold exactly the truth's keys."""
    for model, stream, column in (("CUR_ACCOUNTS", "accounts", "ACCOUNT_ID"),
                                  ("CUR_TRANSACTION_LINES", "transaction_lines",
                                   "TRANSACTION_LINE_ID"),
                                  ("CUR_RECEIVABLES", "receivables", "RECEIVABLE_ID")):
        rows_truth = truth(snowflake.sandbox, DIVISIONS, stream)
        expected = sorted((r["Division"], r["ID"]) for r in rows_truth)
        rows = snowflake.query(
            f"select division, {column} as k from {MODEL_SCHEMA}_CURRENT.{model}")
        assert sorted((int(r["DIVISION"]), r["K"]) for r in rows) == expected, model


def test_dbt_trial_balance_and_history(snowflake: Snowflake) -> None:
    expected: dict[tuple[int, int, int, str], Any] = {}
    for r in truth(snowflake.sandbox, DIVISIONS, "transaction_lines"):
        key = (r["Division"], r["FinancialYear"], r["FinancialPeriod"], r["GLAccount"])
        expected[key] = expected.get(key, 0) + cents(r["AmountDC"])
    rows = snowflake.query(f"""select division, financial_year, financial_period,
        gl_account_id, net_movement_dc from {MODEL_SCHEMA}_MARTS.MART_TRIAL_BALANCE
        where line_count > 0""")
    actual = {(int(r["DIVISION"]), int(r["FINANCIAL_YEAR"]), int(r["FINANCIAL_PERIOD"]),
               r["GL_ACCOUNT_ID"]): cents(r["NET_MOVEMENT_DC"]) for r in rows}
    assert actual == expected
    ids = ", ".join(f"'{i}'" for i in snowflake.updated)
    versions = snowflake.query(f"""select account_id, count(*) as n,
        count_if(is_current) as current from {MODEL_SCHEMA}_HISTORY.HIST_ACCOUNTS
        where account_id in ({ids}) group by account_id""")
    assert sorted((r["ACCOUNT_ID"], int(r["N"]), int(r["CURRENT"])) for r in versions) == sorted(
        (i, 2, 1) for i in snowflake.updated)


def test_dbt_reconciliation_with_exacts_reports(snowflake: Snowflake) -> None:
    """The reconciliation models ran on Snowflake SQL: every check OK in every division."""
    rows = snowflake.query(f"""select check_name, division, compared, status
        from {MODEL_SCHEMA}_MARTS.MART_RECONCILIATION""")
    assert {r["STATUS"] for r in rows} == {"OK"}
    compared = {(r["CHECK_NAME"], int(r["DIVISION"])): int(r["COMPARED"]) for r in rows}
    for division in DIVISIONS:
        assert compared[("trial balance = Exact ReportingBalance", division)] > 0
