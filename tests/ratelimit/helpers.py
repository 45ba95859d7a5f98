"""Run ``tap-exactonline`` as a user does (its console script, ``--config``/``--catalog``/
``--state``) and read its Singer output."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import requests

from tests.support.sandbox import SandboxProcess

TAP = str(Path(sys.executable).parent / "tap-exactonline")
DIV_A = 3100001
DIV_B = 3100018


@dataclass
class TapResult:
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def records(self, stream: str, division: int | None = None) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages
                if m.get("type") == "RECORD" and m.get("stream") == stream
                and (division is None or m["record"].get("Division") == division)]

    def last_state(self) -> dict[str, Any] | None:
        states = [m["value"] for m in self.messages if m.get("type") == "STATE"]
        return states[-1] if states else None

    def log_lines(self, level: str) -> list[str]:
        return [line for line in self.stderr.splitlines() if level in line]


@cache
def discovered_catalog() -> str:
    """The tap's ``--discover`` catalog (needs no API call), as JSON text."""
    out = subprocess.run([TAP, "--config", _dummy_config(), "--discover"], check=True,
                         capture_output=True, text=True, timeout=300)
    return out.stdout


def _dummy_config() -> str:
    path = Path(tempfile.gettempdir()) / "tap-exactonline-ratelimit-discover.json"
    if not path.exists():
        path.write_text(json.dumps({"client_id": "x", "client_secret": "y",
                                    "base_url": "http://127.0.0.1:9"}))
    return str(path)


def catalog_with(streams: list[str], extra_properties: dict[str, dict[str, Any]] | None = None,
                 ) -> dict[str, Any]:
    """The catalog with only ``streams`` selected (and optional extra schema properties)."""
    catalog = json.loads(discovered_catalog())
    for entry in catalog["streams"]:
        selected = entry["tap_stream_id"] in streams
        for md in entry.get("metadata", []):
            if md.get("breadcrumb") == []:
                md["metadata"]["selected"] = selected
        for name, schema in (extra_properties or {}).get(entry["tap_stream_id"], {}).items():
            entry["schema"]["properties"][name] = schema
            entry["metadata"].append({"breadcrumb": ["properties", name],
                                      "metadata": {"inclusion": "available", "selected": True}})
    return catalog


def run_tap(workdir: Path, config: dict[str, Any], streams: list[str], *,
            state: dict[str, Any] | None = None,
            extra_properties: dict[str, dict[str, Any]] | None = None,
            timeout: float = 300) -> TapResult:
    """Run the tap on ``streams`` with ``config`` (and ``state``); parse its output."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    catalog_path = workdir / "catalog.json"
    catalog_path.write_text(json.dumps(catalog_with(streams, extra_properties)))
    cmd = [TAP, "--config", str(config_path), "--catalog", str(catalog_path)]
    if state is not None:
        state_path = workdir / "state.json"
        state_path.write_text(json.dumps(state))
        cmd += ["--state", str(state_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return TapResult(proc.returncode, proc.stdout, proc.stderr, messages)


def tap_config(sandbox: SandboxProcess, tmp: Path, divisions: list[int]) -> dict[str, Any]:
    """Tap config for ``sandbox``: ``divisions``, a token store under ``tmp``."""
    return sandbox.tap_config(
        divisions=divisions,
        token_store_path=str(tmp / "tokens.fernet"),
        token_store_key="ratelimit-tests-token-store-passphrase",
    )


def reset_stats(sandbox: SandboxProcess) -> None:
    requests.post(f"{sandbox.url}/_sandbox/reset-stats", timeout=30).raise_for_status()
    sandbox.faults({"clear": True})


def advance_clock(sandbox: SandboxProcess, seconds: float) -> None:
    requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance_seconds": seconds},
                  timeout=30).raise_for_status()


def division_calls(stats: dict[str, Any], division: int) -> int:
    return sum(n for path, n in stats["calls"].items() if path.startswith(f"/api/v1/{division}/"))


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(str(r["ID"]).lower() for r in rows)
