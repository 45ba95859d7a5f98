"""``meltano run tap-exactonline-history target-bigquery`` into the bqemulator REST emulator.

The append-only extractor (tap-exactonline + audit stream map, no key properties; see
meltano/warehouses.meltano.yml) because it allows selecting a few streams (the '*' stream map
of tap-exactonline rejects deselected streams with singer-sdk 0.54.9) and because the target
appends anyway. What runs is the real plugin from meltano/warehouses.meltano.yml
(z3-target-bigquery 0.7.2 in its Meltano venv) with ``method: streaming_insert``
(tabledata.insertAll), pointed at the
emulator by ``BIGQUERY_EMULATOR_HOST`` (honoured by google-cloud-bigquery). Credentials are a
throwaway service-account JSON whose ``token_uri`` is a local endpoint started here, so the
target's service-account login (JWT grant) runs for real. Not covered: ``storage_write_api``
and ``gcs_stage`` (gRPC / GCS), and ``batch_job`` (the emulator does not unzip the uploaded
file, so it loads zero rows); upsert (MERGE) is not exercised either.

Two runs with a sandbox change in between: the second run is incremental (Meltano STATE) and,
in the target's default append mode, adds the new versions next to the old ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.sandbox import SandboxProcess, free_port
from tests.warehouses.helpers import cents, ensure_plugins, meltano, meltano_env, truth
from tests.warehouses.tools import ToolUnavailable, tool_executable, tool_venv

pytestmark = pytest.mark.bigquery

PROJECT = "exact-emulated"
DATASET = "exactonline"
DIVISIONS = (3100001, 3100018)
STREAMS = ("transaction_lines", "accounts", "receivables", "divisions")


class _TokenHandler(BaseHTTPRequestHandler):
    """Google's OAuth token endpoint, reduced to: any JWT grant gets a bearer token."""

    grants = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).grants += 1
        body = json.dumps({"access_token": "emulator-token", "token_type": "Bearer",
                           "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


def _start_emulator(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    venv = tool_venv("bqemulator")
    # bqemulator runs INSTALL spatial at start; with the extension of the
    # duckdb-extension-spatial wheel already in DuckDB's extension folder (under a throwaway
    # HOME) that needs no network.
    home = work / "home"
    ext_dir = home / ".duckdb" / "extensions" / "v1.5.5" / "linux_amd64"
    ext_dir.mkdir(parents=True)
    wheel_ext = next((venv / "lib").glob(
        "python*/site-packages/duckdb_extension_spatial/extensions/v1.5.5/spatial.duckdb_extension"))
    shutil.copy(wheel_ext, ext_dir)
    port = free_port()
    log = (work / "bqemulator.log").open("wb")
    proc = subprocess.Popen(
        [str(tool_executable("bqemulator")), "start", "--rest-host", "127.0.0.1",
         "--rest-port", str(port), "--grpc-port", "0", "--project", PROJECT,
         "--log-level", "warning"],
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (work / "bqemulator.log").read_text()[-300:]
            raise ToolUnavailable(f"bqemulator exited: {tail}")
        try:
            if requests.get(f"{url}/bigquery/v2/projects/{PROJECT}/datasets", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.3)
    proc.kill()
    raise ToolUnavailable("bqemulator did not answer within 90 s")


@dataclass
class BigQuery:
    url: str
    sandbox: SandboxProcess
    updated: list[str]
    token_grants: int

    def query(self, sql: str) -> list[dict[str, Any]]:
        resp = requests.post(f"{self.url}/bigquery/v2/projects/{PROJECT}/queries", timeout=60,
                             json={"query": sql, "useLegacySql": False})
        resp.raise_for_status()
        body = resp.json()
        names = [f["name"] for f in body["schema"]["fields"]]
        return [dict(zip(names, [c["v"] for c in row["f"]], strict=True))
                for row in body.get("rows", [])]

    def table_schema(self, table: str) -> dict[str, str]:
        resp = requests.get(
            f"{self.url}/bigquery/v2/projects/{PROJECT}/datasets/{DATASET}/tables/{table}",
            timeout=30)
        resp.raise_for_status()
        return {f["name"]: f["type"] for f in resp.json()["schema"]["fields"]}


@pytest.fixture(scope="module")
def bigquery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigQuery]:
    work = tmp_path_factory.mktemp("bigquery")
    try:
        emulator, url = _start_emulator(work)
    except ToolUnavailable as exc:
        pytest.skip(f"BigQuery emulator unavailable: {exc}")
    ensure_plugins(("extractor", "tap-exactonline"), ("loader", "target-bigquery"))
    token_server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
    threading.Thread(target=token_server.serve_forever, daemon=True).start()
    sandbox = SandboxProcess(seed=13, divisions=2, rows=200)
    try:
        sandbox.start(log_dir=work)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        service_account = {
            "type": "service_account", "project_id": PROJECT, "private_key_id": "throwaway",
            "private_key": key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode(),
            "client_email": f"loader@{PROJECT}.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": f"http://127.0.0.1:{token_server.server_port}/token",
        }
        sa_path = work / "service-account.json"
        sa_path.write_text(json.dumps(service_account))
        env = meltano_env(sandbox, work, work / "unused.duckdb")
        env.update({
            "BIGQUERY_EMULATOR_HOST": url,
            "TARGET_BIGQUERY_PROJECT": PROJECT,
            "TARGET_BIGQUERY_DATASET": DATASET,
            "TARGET_BIGQUERY_LOCATION": "US",
            "TARGET_BIGQUERY_METHOD": "streaming_insert",
            "TARGET_BIGQUERY_CREDENTIALS_PATH": str(sa_path),
            # A few streams: the target waits 5 s after creating each table.
            "TAP_EXACTONLINE_HISTORY__SELECT": json.dumps([f"{s}.*" for s in STREAMS]),
        })
        meltano(["run", "tap-exactonline-history", "target-bigquery"], env, work / "run-1.log")
        updated = [c["ID"] for c in sandbox.mutate(
            {"division": DIVISIONS[0], "stream": "accounts", "action": "update", "count": 2}
        )["changed"]]
        meltano(["run", "tap-exactonline-history", "target-bigquery"], env, work / "run-2.log")
        yield BigQuery(url=url, sandbox=sandbox, updated=updated,
                       token_grants=_TokenHandler.grants)
    finally:
        sandbox.stop()
        token_server.shutdown()
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()


@pytest.mark.parametrize("stream", STREAMS)
def test_every_truth_row_is_loaded(bigquery: BigQuery, stream: str) -> None:
    if stream == "divisions":  # system/Divisions: key Code (the tap adds Division)
        expected = {r["Code"] for r in bigquery.sandbox.truth(DIVISIONS[0], stream)}
        rows = bigquery.query(f"select distinct Code from {DATASET}.divisions")
        assert {int(r["Code"]) for r in rows} == expected
        return
    expected = {(r["Division"], r["ID"]) for d in DIVISIONS
                for r in bigquery.sandbox.truth(d, stream)}
    rows = bigquery.query(f"select Division, ID from {DATASET}.{stream}")
    assert {(int(r["Division"]), r["ID"]) for r in rows} == expected
    assert expected


def test_append_mode_keeps_both_versions_and_the_latest_matches(bigquery: BigQuery) -> None:
    accounts = truth(bigquery.sandbox, DIVISIONS, "accounts")
    rows = bigquery.query(f"select ID, Timestamp, Name from {DATASET}.accounts")
    versions = Counter(r["ID"] for r in rows)
    assert {i for i, n in versions.items() if n == 2} == set(bigquery.updated)
    assert len(rows) == len(accounts) + len(bigquery.updated)
    latest: dict[str, int] = {}
    for r in rows:
        latest[r["ID"]] = max(latest.get(r["ID"], 0), int(r["Timestamp"]))
    assert latest == {a["ID"]: a["Timestamp"] for a in accounts}


def test_amounts_and_types(bigquery: BigQuery) -> None:
    lines = truth(bigquery.sandbox, DIVISIONS, "transaction_lines")
    rows = bigquery.query(f"""select Division, FinancialYear, sum(AmountDC) as total,
        count(*) as n from {DATASET}.transaction_lines group by Division, FinancialYear""")
    expected: dict[tuple[int, int], Any] = {}
    for line in lines:
        key = (line["Division"], line["FinancialYear"])
        expected[key] = expected.get(key, 0) + cents(line["AmountDC"])
    actual = {(int(r["Division"]), int(r["FinancialYear"])): cents(r["total"]) for r in rows}
    assert actual == expected
    schema = {k: v.upper() for k, v in bigquery.table_schema("transaction_lines").items()}
    # Measured (docs/warehouses.md): z3-target-bigquery makes FLOAT64 of every number (no
    # schema hint changes that) and INT64 of every integer, bounds or not.
    assert schema["AmountDC"] in {"FLOAT", "FLOAT64"}
    assert schema["Timestamp"] in {"INTEGER", "INT64"}
    assert schema["FinancialYear"] in {"INTEGER", "INT64"}
    assert schema["Date"] == "TIMESTAMP"
    assert schema["ID"] == "STRING"
    assert bigquery.table_schema("accounts")["IsSupplier"].upper() in {"BOOLEAN", "BOOL"}


def test_rows_carry_audit_columns_and_login_ran(bigquery: BigQuery) -> None:
    rows = bigquery.query(f"""select count(*) as n, countif(_sdc_extracted_at is null) as no_ts,
        countif(Division is null) as no_division,
        countif(_source != 'exact_online' or _source is null) as bad_source,
        countif(_record_key != concat(cast(Division as string), ':', ID)) as bad_key,
        countif(_extracted_at is null) as no_extracted from {DATASET}.transaction_lines""")
    assert int(rows[0]["n"]) > 0
    assert [rows[0][k] for k in ("no_ts", "no_division", "bad_source", "bad_key",
                                 "no_extracted")] == ["0"] * 5
    assert bigquery.token_grants >= 1  # the service-account JWT grant reached our endpoint
