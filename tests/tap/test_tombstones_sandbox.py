"""Deletions from sync/Deleted reach their own stream as Singer tombstones (issue #16, item 1).

Against a real sandbox over HTTP: a full run, deletes (and updates) in one division, an
incremental run. Each deleted row comes back in its stream as a record with its key,
``_sdc_deleted_at`` = the deletion's DeletedDate (UTC) and ``Timestamp`` = the deletion's
Timestamp, written before any row of that stream and division; ``deleted`` still holds the raw
log. Divisions read one after another and in parallel alike.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_exactonline.tombstones import DELETED_AT
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import run_tap, tap_config

STREAMS = {"deleted", "accounts", "contacts", "transaction_lines"}


@pytest.fixture(scope="module")
def divisions(tapbox: SandboxProcess) -> list[int]:
    return requests.get(f"{tapbox.url}/_sandbox/divisions", timeout=30).json()["accessible"]


def test_every_sync_stream_declares_sdc_deleted_at_as_the_sdk_does(
    tapbox: SandboxProcess, tmp_path: Path, divisions: list[int]
) -> None:
    run = run_tap(tmp_path, tap_config(tapbox, tmp_path, divisions=divisions[:1]),
                  streams={"accounts", "payments"})
    assert run.returncode == 0, run.stderr[-2000:]
    declared = run.schemas["accounts"]["properties"][DELETED_AT]
    assert declared["type"] == ["null", "string"]
    assert declared["format"] == "date-time"
    assert all(r[DELETED_AT] is None for r in run.records["accounts"])  # rows: never deleted


@pytest.mark.parametrize("parallel", [1, 4])
def test_deletions_arrive_as_tombstones_before_the_rows(
    tapbox: SandboxProcess, tmp_path: Path, divisions: list[int], parallel: int
) -> None:
    config = tap_config(tapbox, tmp_path, divisions=divisions, parallel_divisions=parallel)
    full = run_tap(tmp_path / "full", config, streams=STREAMS)
    assert full.returncode == 0, full.stderr[-2000:]
    division = divisions[0]
    gone: dict[str, set[str]] = {}
    for stream in ("accounts", "contacts", "transaction_lines"):
        box = tapbox.mutate({"division": division, "stream": stream, "action": "delete",
                             "count": 1})
        for change in box["changed"]:
            gone.setdefault(change["stream"], set()).add(str(change["ID"]).lower())
    tapbox.mutate({"division": division, "stream": "accounts", "action": "update", "count": 2})
    incr = run_tap(tmp_path / "incr", config, streams=STREAMS, state=full.state)
    assert incr.returncode == 0, incr.stderr[-2000:]

    # The raw log is unchanged: one `deleted` row per deletion, naming its stream.
    log = {(r["Division"], r["EntityKey"].lower()): r for r in incr.records["deleted"]}
    for stream, keys in gone.items():
        for key in keys:
            assert log[(division, key)]["stream_name"] == stream
    # Each deletion is a tombstone in its own stream, with the deletion's moment and Timestamp.
    for stream, keys in gone.items():
        tombstones = {r["ID"].lower(): r for r in incr.tombstones[stream]}
        assert set(tombstones) == keys, stream
        for key, record in tombstones.items():
            deletion = log[(division, key)]
            assert record["Division"] == division
            assert record["Timestamp"] == deletion["Timestamp"]
            assert record[DELETED_AT] == deletion["DeletedDate"]
            assert dt.datetime.fromisoformat(record[DELETED_AT]).utcoffset() == dt.timedelta(0)
        # ... and no row of a deleted key is emitted: the table ends without it.
        assert not keys & {r["ID"].lower() for r in incr.records[stream]}, stream
    # Order: per stream and division, every tombstone precedes every row, so a row re-created
    # after its deletion (a later, current version) is never overtaken by its tombstone.
    seen_row: set[tuple[str, Any]] = set()
    for stream, kind, (record_division, _) in incr.order:
        if kind == "row":
            seen_row.add((stream, record_division))
        else:
            assert (stream, record_division) not in seen_row, (stream, "tombstone after a row")
    assert any(kind == "row" and s == "accounts" for s, kind, _ in incr.order)


def test_no_tombstones_for_streams_not_selected(
    tapbox: SandboxProcess, tmp_path: Path, divisions: list[int]
) -> None:
    config = tap_config(tapbox, tmp_path, divisions=divisions[:1])
    run = run_tap(tmp_path, config, streams={"deleted", "contacts"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert set(run.tombstones) <= {"contacts"}
    assert "accounts" not in run.schemas
