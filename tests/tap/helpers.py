"""Run tap-exactonline as a user does (subprocess with --config/--state/--catalog).

What the records must be comes from the independent oracle, :mod:`tests.support.oracle`
(the sandbox's canonical rows), never from the tap's own conversion.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tap_exactonline import odata
from tap_exactonline.streamtable import SPECS
from tests.support.oracle import expected_records

__all__ = ["expected_records"]

TOKEN_STORE_KEY = "tap-tests-token-store-passphrase"


def tap_executable() -> str:
    candidate = Path(sys.executable).parent / "tap-exactonline"
    return str(candidate) if candidate.exists() else (shutil.which("tap-exactonline") or "")


@dataclass
class TapRun:
    """Output of one tap run."""

    returncode: int
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    #: Tombstone records (``_sdc_deleted_at`` set) per stream, in output order; not in records.
    tombstones: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: (stream, "row" | "tombstone", key) of every RECORD, in output order.
    order: list[tuple[str, str, Any]] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    stderr: str = ""
    stdout: bytes = b""

    @property
    def state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def discover(config_path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [tap_executable(), "--config", str(config_path), "--discover"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def select(catalog: dict[str, Any], streams: set[str] | None) -> dict[str, Any]:
    """Mark the given streams (all when None) selected, the others not."""
    catalog = json.loads(json.dumps(catalog))
    for entry in catalog["streams"]:
        chosen = streams is None or entry["tap_stream_id"] in streams
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = chosen
    return catalog


def run_tap(
    workdir: Path,
    config: dict[str, Any],
    *,
    streams: set[str] | None = None,
    state: dict[str, Any] | None = None,
    timeout: float = 240,
    env: dict[str, str] | None = None,
    keep_stdout: bool = False,
) -> TapRun:
    """Run ``tap-exactonline --config c.json [--state s.json] --catalog cat.json``."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = write_json(workdir / "config.json", config)
    catalog_path = workdir / "catalog.json"
    if not catalog_path.exists():
        write_json(catalog_path, discover(config_path))
    base_catalog = json.loads(catalog_path.read_text())
    selected_path = write_json(workdir / "selected.json", select(base_catalog, streams))
    cmd = [tap_executable(), "--config", str(config_path), "--catalog", str(selected_path)]
    if state is not None:
        cmd += ["--state", str(write_json(workdir / "state.json", state))]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
    run = TapRun(returncode=proc.returncode, stderr=proc.stderr.decode(errors="replace"))
    if keep_stdout:
        run.stdout = proc.stdout
    for line in proc.stdout.splitlines():
        message = odata.decode_json(line)
        kind = message.get("type")
        if kind == "RECORD":
            record, stream = message["record"], message["stream"]
            kind_of_row = "tombstone" if record.get("_sdc_deleted_at") else "row"
            target = run.tombstones if kind_of_row == "tombstone" else run.records
            target[stream].append(record)
            if stream in SPECS:
                run.order.append((stream, kind_of_row, key_of(stream, record)))
        elif kind == "STATE":
            run.states.append(message["value"])
        elif kind == "SCHEMA":
            run.schemas[message["stream"]] = message["schema"]
    return run


def tap_config(sandbox: Any, tmp: Path, **overrides: Any) -> dict[str, Any]:
    """The sandbox's tap config with the token store of that sandbox.

    The sandbox's seed refresh token rotates on first use, so every run against one sandbox
    shares one store (as a user's runs do). ``tmp`` is unused; kept for call-site clarity.
    """
    store = Path(sandbox.log_path or tmp).with_name(f"tokens-{sandbox.port}.json")
    return sandbox.tap_config(
        token_store_path=str(store),
        token_store_key=TOKEN_STORE_KEY,
        **overrides,
    )


def key_of(stream: str, record: dict[str, Any]) -> tuple[Any, Any]:
    return (record.get("Division"), record.get(SPECS[stream].key))


def by_key(stream: str, records: list[dict[str, Any]]) -> dict[tuple[Any, Any], dict[str, Any]]:
    return {key_of(stream, r): r for r in records}


def partition_bookmark(state: dict[str, Any], stream: str, division: int) -> Any:
    for partition in state.get("bookmarks", {}).get(stream, {}).get("partitions", []):
        if partition.get("context") == {"Division": division}:
            return partition.get("replication_key_value")
    return None
