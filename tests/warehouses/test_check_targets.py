"""Preflight ``tap_exactonline.cli.check_targets`` against the BigQuery emulator and fakesnow.

BigQuery: a real JWT grant at a local token endpoint, the dataset lookup and a dry-run job on
bqemulator (IAM is not emulated: the rights check reports that it was skipped). Snowflake: the
check runs in fakesnow's venv (it has snowflake-connector-python) against a fakesnow server,
with an encrypted PKCS#8 key; fakesnow always reports AUTO_RESUME true, so the WARNING branch
for a warehouse with AUTO_RESUME off is not exercised here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tap_exactonline.cli.check_targets import (
    check_target,
    loader_settings_from_env,
    loader_settings_from_meltano,
)
from tests.warehouses.helpers import PROJECT_ROOT, REPO_ROOT
from tests.warehouses.test_bigquery import PROJECT, _start_emulator, _TokenHandler
from tests.warehouses.test_snowflake import _start_fakesnow
from tests.warehouses.tools import ToolUnavailable, tool_venv


class _RejectingTokenHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps({"error": "invalid_grant",
                           "error_description": "Invalid JWT Signature."}).encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


def _pem(passphrase: bytes | None = None) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption)


def _statuses(results: list[Any]) -> dict[str, str]:
    return {r.name: r.status for r in results}


# -- BigQuery ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("check-bigquery")
    try:
        proc, url = _start_emulator(work)
    except ToolUnavailable as exc:
        pytest.skip(f"BigQuery emulator unavailable: {exc}")
    good = ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
    bad = ThreadingHTTPServer(("127.0.0.1", 0), _RejectingTokenHandler)
    for server in (good, bad):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    pem = _pem().decode()

    def account(server: ThreadingHTTPServer) -> str:
        return json.dumps({
            "type": "service_account", "project_id": PROJECT, "private_key_id": "k1",
            "private_key": pem, "client_email": f"loader@{PROJECT}.iam.gserviceaccount.com",
            "token_uri": f"http://127.0.0.1:{server.server_port}/token"})

    try:
        yield {"url": url, "good": account(good), "bad": account(bad), "pem": pem}
    finally:
        good.shutdown()
        bad.shutdown()
        proc.terminate()
        proc.wait(timeout=10)



@pytest.mark.bigquery
def test_bigquery_preflight(emulator: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", emulator["url"])
    settings = {"project": PROJECT, "dataset": "preflight", "location": "US",
                "credentials_json": emulator["good"]}
    first = check_target("bigquery", settings)
    assert _statuses(first) == {"login": "ok", "dataset": "warn", "jobs": "ok", "rights": "ok"}
    assert "does not exist" in next(r.message for r in first if r.name == "dataset")

    requests.post(f"{emulator['url']}/bigquery/v2/projects/{PROJECT}/datasets", timeout=30,
                  json={"datasetReference": {"projectId": PROJECT, "datasetId": "preflight"},
                        "location": "US"}).raise_for_status()
    assert _statuses(check_target("bigquery", settings))["dataset"] == "ok"


@pytest.mark.bigquery
def test_bigquery_preflight_failures_say_what_to_do(emulator: dict[str, Any],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", emulator["url"])
    rejected = check_target("bigquery", {"project": PROJECT, "dataset": "x",
                                         "credentials_json": emulator["bad"]})
    assert [(r.name, r.status) for r in rejected] == [("login", "fail")]
    assert "Invalid JWT Signature" in rejected[0].message
    assert "PRIVATE KEY" not in rejected[0].message
    assert [(r.name, r.status) for r in check_target("bigquery", {"dataset": "x"})] == [
        ("settings", "fail")]
    with pytest.raises(ValueError, match="unknown target"):
        check_target("redshift", {})


def test_loader_settings_from_meltano(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's own target-snowflake defaults, resolved by Meltano."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    settings = loader_settings_from_meltano("snowflake", PROJECT_ROOT)
    assert settings["database"] == "EXACTONLINE"
    assert settings["uuid_format"] == "string"


def test_loader_settings_from_env() -> None:
    env = {"TARGET_BIGQUERY_PROJECT": "p", "TARGET_BIGQUERY_DATASET": "d",
           "TARGET_BIGQUERY_LOCATION": "", "TARGET_SNOWFLAKE_USER": "u"}
    assert loader_settings_from_env("bigquery", env) == {"project": "p", "dataset": "d"}


# -- Snowflake --------------------------------------------------------------------------------

RUN_CHECK = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("check_targets", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["check_targets"] = module
spec.loader.exec_module(module)
results = module.check_target("snowflake", json.loads(sys.argv[2]), timeout=20)
print(json.dumps([[r.name, r.status, r.message] for r in results]))
"""


@pytest.fixture(scope="module")
def fakesnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("check-snowflake")
    try:
        proc, port = _start_fakesnow(work)
        python = tool_venv("fakesnow") / "bin" / "python"
    except ToolUnavailable as exc:
        pytest.skip(f"fakesnow unavailable: {exc}")
    key_path = work / "key.p8"
    key_path.write_bytes(_pem(b"preflight-passphrase"))
    try:
        yield {"port": port, "python": python, "key": key_path}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _snowflake_check(fakesnow: dict[str, Any], **overrides: Any) -> list[list[str]]:
    settings = {"account": "exact-fake", "user": "LOADER", "role": "LOADER",
                "database": "EXACTONLINE", "warehouse": "FAKESNOW_WAREHOUSE",
                "private_key_path": str(fakesnow["key"]),
                "private_key_passphrase": "preflight-passphrase",
                "host": "127.0.0.1", "port": fakesnow["port"], "protocol": "http", **overrides}
    module = REPO_ROOT / "tap_exactonline" / "cli" / "check_targets.py"
    proc = subprocess.run([str(fakesnow["python"]), "-c", RUN_CHECK, str(module),
                           json.dumps(settings)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.snowflake
def test_snowflake_preflight(fakesnow: dict[str, Any]) -> None:
    results = _snowflake_check(fakesnow)
    assert [(n, s) for n, s, _ in results] == [("login", "ok"), ("warehouse", "ok")]
    assert "AUTO_RESUME on" in results[1][2]


@pytest.mark.snowflake
def test_snowflake_preflight_failures(fakesnow: dict[str, Any]) -> None:
    missing = _snowflake_check(fakesnow, warehouse="NO_SUCH_WAREHOUSE")
    assert [(n, s) for n, s, _ in missing] == [("login", "ok"), ("warehouse", "fail")]
    wrong = _snowflake_check(fakesnow, private_key_passphrase="wrong")
    assert [(n, s) for n, s, _ in wrong] == [("login", "fail")]
    assert "preflight-passphrase" not in wrong[0][2]
    no_key = _snowflake_check(fakesnow, private_key_path="", private_key_passphrase="")
    assert no_key[0][:2] == ["login", "fail"]
    assert "key-pair" in no_key[0][2]


def test_module_is_importable_without_warehouse_libraries() -> None:
    """check.py imports it in the tap's environment (no google or snowflake libraries)."""
    assert Path(REPO_ROOT / "tap_exactonline" / "cli" / "check_targets.py").exists()
    results = check_target("snowflake", {"account": "a", "user": "u"})
    assert [(r.name, r.status) for r in results] == [("settings", "fail")]
