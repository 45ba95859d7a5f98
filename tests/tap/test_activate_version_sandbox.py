"""Full-table streams send ACTIVATE_VERSION through singer-sdk's mechanism (issue #16, item 2).

The tap's output over HTTP against the sandbox: with ``emit_activate_version_messages`` each
full-table stream sends one ACTIVATE_VERSION before its first RECORD and its records carry that
version; incremental streams send none; a run over an explicit ``divisions`` list (maybe a
subset) sends none, since the message would drop the other divisions' rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tap_exactonline import odata
from tap_exactonline.streamtable import CATALOG
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import run_tap, tap_config

FULL_TABLE = {s.name for s in CATALOG if s.family == "full_table"}
STREAMS = {*FULL_TABLE, "accounts", "payments"}


def messages(stdout: bytes) -> list[dict[str, Any]]:
    return [odata.decode_json(line) for line in stdout.splitlines()]


@pytest.mark.parametrize("parallel", [1, 4])
def test_full_table_streams_send_activate_version_before_their_records(
    tapbox: SandboxProcess, tmp_path: Path, parallel: int
) -> None:
    config = tap_config(tapbox, tmp_path, all_divisions=True, parallel_divisions=parallel,
                        emit_activate_version_messages=True)
    run = run_tap(tmp_path, config, streams=STREAMS, keep_stdout=True)
    assert run.returncode == 0, run.stderr[-2000:]
    versions: dict[str, int] = {}
    for message in messages(run.stdout):
        stream = message.get("stream")
        if message["type"] == "ACTIVATE_VERSION":
            assert stream not in versions, f"{stream}: two ACTIVATE_VERSION messages"
            versions[stream] = message["version"]
        elif message["type"] == "RECORD" and stream in FULL_TABLE:
            assert message.get("version") == versions.get(stream), f"{stream}: version"
    assert set(versions) == FULL_TABLE
    assert len({r["Division"] for r in run.records["cost_centers"]}) == 2  # every division


def test_no_activate_version_for_an_explicit_divisions_list(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    import requests

    divisions = requests.get(f"{tapbox.url}/_sandbox/divisions", timeout=30).json()["accessible"]
    config = tap_config(tapbox, tmp_path, divisions=divisions[:1],
                        emit_activate_version_messages=True)
    run = run_tap(tmp_path, config, streams=STREAMS, keep_stdout=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records["cost_centers"]
    assert not [m for m in messages(run.stdout) if m["type"] == "ACTIVATE_VERSION"]
    assert "may name a subset" in run.stderr


def test_no_activate_version_by_default(tapbox: SandboxProcess, tmp_path: Path) -> None:
    run = run_tap(tmp_path, tap_config(tapbox, tmp_path, all_divisions=True),
                  streams={"cost_centers"}, keep_stdout=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not [m for m in messages(run.stdout) if m["type"] == "ACTIVATE_VERSION"]
