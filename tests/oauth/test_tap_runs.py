"""The tap itself with the token store: reuse across runs, the one-line re-authorization
message, and the full-sync secret scan with debug logging."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.oauth.helpers import STORE_KEY, read_store, reset_stats, write_config
from tests.oauth.test_secrets import TOKEN_SHAPES

TAP = str(Path(sys.executable).parent / "tap-exactonline")


def _tap(config: Path, *args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOGLEVEL": "DEBUG" if debug else "INFO"}
    return subprocess.run(
        [TAP, "--config", str(config), *args], capture_output=True, text=True, timeout=300,
        cwd=config.parent, env=env, check=False)


def _catalog_of(config: Path, stream: str) -> Path:
    """A catalog from --discover with only ``stream`` selected."""
    discovered = _tap(config, "--discover")
    assert discovered.returncode == 0, discovered.stderr[-2000:]
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == stream
    path = config.parent / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def test_full_sync_with_debug_logging_leaks_no_secret(start_sandbox, tmp_path):
    """4 s access tokens, so the sync usually refreshes (and rotates) on the way."""
    sandbox = start_sandbox(access_token_seconds=4, divisions=1)
    config = write_config(tmp_path, sandbox, start_date="2020-01-01T00:00:00Z")
    settings = json.loads(config.read_text())
    run = _tap(config, debug=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "DEBUG" in run.stderr
    assert '"type":"STATE"' in run.stdout.replace(" ", "")
    assert sandbox.stats()["token_grants"] >= 1
    record = read_store(config)
    secrets = {settings["client_secret"], settings["refresh_token"], STORE_KEY,
               record.access_token, record.refresh_token}
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".json"
             and "sandbox-logs" not in p.parts]
    texts = {"stdout": run.stdout, "stderr": run.stderr,
             **{str(p): p.read_bytes().decode("latin-1") for p in files}}
    for where, text in texts.items():
        leaked = [s[:6] for s in secrets if s and s in text]
        assert not leaked, f"secret starting {leaked} found in {where}"
        shape = TOKEN_SHAPES.search(text)
        assert shape is None, f"token-shaped {shape.group(0)[:8]!r} in {where}"


def test_a_tap_run_inside_the_lifetime_makes_no_token_call(start_sandbox, tmp_path):
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox)
    catalog = _catalog_of(config, "currencies")
    first = _tap(config, "--catalog", str(catalog))
    assert first.returncode == 0, first.stderr[-2000:]
    assert sandbox.stats()["token_calls"] == 1
    reset_stats(sandbox)
    second = _tap(config, "--catalog", str(catalog))
    assert second.returncode == 0, second.stderr[-2000:]
    stats = sandbox.stats()
    assert stats["token_calls"] == 0
    assert stats["calls"].get("/api/v1/3100001/general/Currencies", 0) >= 1


def test_tap_with_a_revoked_refresh_token_stops_with_one_line(start_sandbox, tmp_path):
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox, refresh_token="Gcp7!revoked-token-value")
    catalog = _catalog_of(config, "currencies")
    run = _tap(config, "--catalog", str(catalog))
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if "exactonline auth login" in line]
    assert len(lines) == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert "Gcp7!revoked-token-value" not in run.stderr + run.stdout
    assert '"type":"RECORD"' not in run.stdout.replace(" ", "")
