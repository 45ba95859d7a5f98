"""Division resolution, DivisionMoveDate and start_date against the sandbox (read-only); the
expected values come from the sandbox's canonical rows (:mod:`tests.support.oracle`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import requests

from tests.support.oracle import same
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import (
    expected_records,
    partition_bookmark,
    run_tap,
    tap_config,
)


def _divisions(box: SandboxProcess) -> dict[str, Any]:
    return requests.get(f"{box.url}/_sandbox/divisions", timeout=30).json()


def test_empty_divisions_reads_the_current_division(tapbox: SandboxProcess, tmp_path: Path) -> None:
    info = _divisions(tapbox)
    run = run_tap(tmp_path, tap_config(tapbox, tmp_path), streams={"gl_classifications"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["Division"] for r in run.records["gl_classifications"]} == {info["current"]}


def test_all_divisions_reads_every_accessible_division(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    info = _divisions(tapbox)
    config = tap_config(tapbox, tmp_path, all_divisions=True)
    run = run_tap(tmp_path, config, streams={"gl_classifications", "currencies"})
    assert run.returncode == 0, run.stderr[-2000:]
    for stream in ("gl_classifications", "currencies"):
        assert {r["Division"] for r in run.records[stream]} == set(info["accessible"]), stream
    # the inaccessible division is never asked for
    assert not any("3999999" in path for path in tapbox.stats()["calls"])


def test_changed_division_move_date_restarts_sync_streams(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    division = _divisions(tapbox)["accessible"][-1]
    moved = [r for r in expected_records(tapbox, division, "divisions") if r["Code"] == division]
    assert moved
    config = tap_config(tapbox, tmp_path, divisions=[division])
    first = run_tap(tmp_path / "a", config, streams={"gl_accounts"})
    assert first.returncode == 0, first.stderr[-2000:]
    partitions = first.state["bookmarks"]["gl_accounts"]["partitions"]
    assert moved[0]["DivisionMoveDate"], "the sandbox's last division was moved once"
    assert same(moved[0]["DivisionMoveDate"], partitions[0]["division_move_date"])
    # Exact moved the division since the last run: it remembers an older move date
    partitions[0]["division_move_date"] = "2001-01-01T00:00:00+00:00"
    again = run_tap(tmp_path / "b", config, streams={"gl_accounts"}, state=first.state)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "starts over" in again.stderr
    assert len(again.records["gl_accounts"]) == len(first.records["gl_accounts"]) > 0
    # and without a move, the same state reads nothing new
    quiet = run_tap(tmp_path / "c", config, streams={"gl_accounts"}, state=again.state)
    assert quiet.returncode == 0
    assert not quiet.records.get("gl_accounts")
    assert "starts over" not in quiet.stderr


def _moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_start_date_seeds_sync_and_modified_streams(tapbox: SandboxProcess, tmp_path: Path) -> None:
    division = _divisions(tapbox)["current"]
    payments = expected_records(tapbox, division, "payments")
    modified = sorted(_moment(r["Modified"]) for r in payments if r.get("Modified"))
    assert len(set(modified)) >= 4, "the sandbox's payments need distinct Modified values"
    start = modified[len(modified) // 2]
    config = tap_config(tapbox, tmp_path, divisions=[division], start_date=start.isoformat())
    requests.post(f"{tapbox.url}/_sandbox/reset-stats", timeout=30)
    run = run_tap(tmp_path, config, streams={"payments", "transaction_lines", "gl_accounts"})
    assert run.returncode == 0, run.stderr[-2000:]
    got = {r["ID"] for r in run.records["payments"]}
    want = {r["ID"] for r in payments if r.get("Modified") and _moment(r["Modified"]) >= start}
    assert want <= got
    floor = start - dt.timedelta(seconds=1)  # the filter is in whole seconds; ge never skips
    assert all(_moment(r["Modified"]) >= floor for r in run.records["payments"])
    assert len(got) < len(payments)
    # transaction_lines is seeded through read/sync/Sync/SyncTimestamp, gl_accounts from 1
    calls = tapbox.stats()["calls"]
    assert calls.get(f"/api/v1/{division}/read/sync/Sync/SyncTimestamp") == 1
    lines = expected_records(tapbox, division, "transaction_lines")
    later = {r["ID"] for r in lines if r.get("Modified") and _moment(r["Modified"]) > start}
    assert later <= {r["ID"] for r in run.records["transaction_lines"]}
    assert len(run.records["gl_accounts"]) == len(expected_records(tapbox, division, "gl_accounts"))
    assert isinstance(partition_bookmark(run.state, "transaction_lines", division), int)
