"""tap-exactonline against a real sandbox process over HTTP, run as a user runs it.

One module sandbox (2 divisions, limits off so the tests do not wait for rate-limit minutes);
the tests run in file order: full sync, incremental with creates/updates/deletes, a run with
no changes, an interrupted sync that resumes. Every record is compared field by field with the
sandbox's canonical rows (:mod:`tests.support.oracle`), not with the tap's own conversion.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tap_exactonline.streamtable import CATALOG, SPECS
from tests.support.oracle import differences, expected_by_key, key_of
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import (
    TapRun,
    expected_records,
    partition_bookmark,
    run_tap,
    select,
    tap_config,
    tap_executable,
    write_json,
)

SYNC = [s.name for s in CATALOG if s.family == "sync"]


@pytest.fixture(scope="module")
def box(tapbox: SandboxProcess) -> SandboxProcess:
    return tapbox


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tapwork")


@pytest.fixture(scope="module")
def divisions(box: SandboxProcess) -> list[int]:
    import requests

    return requests.get(f"{box.url}/_sandbox/divisions", timeout=30).json()["accessible"]


@pytest.fixture(scope="module")
def config(box: SandboxProcess, work: Path, divisions: list[int]) -> dict[str, Any]:
    return tap_config(box, work, divisions=divisions, opt_in_streams=["employees"])


@pytest.fixture(scope="module")
def full_run(work: Path, config: dict[str, Any]) -> TapRun:
    """The first run: every stream from the start."""
    return run_tap(work / "full", config)


@dataclass
class Incremental:
    """Changes made in the first division after the full run, and the incremental run."""

    state: dict[str, Any]
    changed: dict[str, set[str]]
    deleted: dict[str, set[str]]
    changed_entries: set[str]
    run: TapRun


@pytest.fixture(scope="module")
def incremental(box, work, config, divisions, full_run: TapRun) -> Incremental:
    assert full_run.returncode == 0, "the full run failed (see its test)"
    first = divisions[0]
    changed: dict[str, set[str]] = {}
    deleted: dict[str, set[str]] = {}
    for stream in ("accounts", "transaction_lines", "items"):
        for action, count in (("create", 2), ("update", 2), ("delete", 1)):
            answer = box.mutate(
                {"division": first, "stream": stream, "action": action, "count": count}
            )
            target = deleted if action == "delete" else changed
            target.setdefault(stream, set()).update(c["ID"] for c in answer["changed"])
    entries = box.mutate(
        {"division": first, "stream": "purchase_entries", "action": "update", "count": 2}
    )
    changed_entries = {c["ID"] for c in entries["changed"] if c["stream"] == "purchase_entries"}
    run = run_tap(
        work / "incr",
        config,
        streams={*SYNC, "purchase_entries", "purchase_entry_lines"},
        state=full_run.state,
    )
    return Incremental(full_run.state, changed, deleted, changed_entries, run)


def test_full_sync_every_stream_equals_the_truth(box, divisions, full_run: TapRun) -> None:
    run = full_run
    assert run.returncode == 0, run.stderr[-3000:]
    assert set(run.records) >= {s.name for s in CATALOG} - {"deleted"}
    problems: list[str] = []
    for spec in CATALOG:
        got = run.records.get(spec.name, [])
        if spec.family == "snapshot":  # one moment per division's snapshot, set by the tap
            stamps = {r.pop("SnapshotTakenAt") for r in got}
            assert len(stamps) <= len(divisions), spec.name
            assert all(dt.datetime.fromisoformat(s).tzinfo for s in stamps), spec.name
        actual = {key_of(spec.name, r): r for r in got}
        assert len(actual) == len(got), f"{spec.name}: a key emitted twice"
        want = expected_by_key(box, divisions, spec.name)
        problems += differences(spec.name, want, actual, exact_fields=True)
    assert not problems, "\n".join(problems)
    # every record carries Division, no OData metadata leaks
    for stream, records in run.records.items():
        assert all(r.get("Division") for r in records), stream
        assert all("__metadata" not in r for r in records), stream
    # two divisions keep separate bookmarks
    for stream in ("transaction_lines", "accounts"):
        marks = [partition_bookmark(run.state, stream, d) for d in divisions]
        assert all(isinstance(m, int) for m in marks), marks
        assert marks[0] != marks[1]


def test_incremental_run_returns_only_the_changes(box, divisions, incremental) -> None:
    state, run = incremental.state, incremental.run
    changed, changed_entries = incremental.changed, incremental.changed_entries
    first, second = divisions
    assert run.returncode == 0, run.stderr[-3000:]
    # lines without Modified come back with their changed entries, all of them
    lines = run.records["purchase_entry_lines"]
    truth_lines = expected_records(box, first, "purchase_entry_lines")
    want_lines = {r["ID"] for r in truth_lines if r["EntryID"] in changed_entries}
    assert want_lines
    assert want_lines <= {r["ID"] for r in lines}
    for record in lines:
        old = partition_bookmark(state, "purchase_entry_lines", record["Division"])
        floor = dt.datetime.fromisoformat(old).replace(microsecond=0)
        assert dt.datetime.fromisoformat(record["EntryModified"]) >= floor
    # Modified family: the changes come back; nothing older than the bookmark's second does
    got_entries = run.records["purchase_entries"]
    assert changed_entries <= {r["EntryID"] for r in got_entries}
    for record in got_entries:
        old = partition_bookmark(state, "purchase_entries", record["Division"])
        floor = dt.datetime.fromisoformat(old).replace(microsecond=0)
        assert dt.datetime.fromisoformat(record["Modified"]) >= floor
    for stream in SYNC:
        got = run.records.get(stream, [])
        assert all(r["Division"] == first for r in got), stream
        actual = {key_of(stream, r): r for r in got}
        truth = expected_by_key(box, [first], stream)
        # every record sent is the current truth of its row, field by field
        assert set(actual) <= set(truth), stream
        problems = differences(stream, {k: truth[k] for k in actual}, actual, exact_fields=True)
        assert not problems, problems
        if stream == "deleted":
            continue
        got_ids = {r["ID"] for r in got}
        want_ids = {i for i in changed.get(stream, set()) if (first, i) in truth}
        # sales_invoices/transaction_lines: a change bumps the whole entry's rows
        assert want_ids <= got_ids, stream
        if stream in ("accounts", "items"):
            assert got_ids == want_ids, stream
    names = {r["EntityKey"]: r["stream_name"] for r in run.records.get("deleted", [])}
    for stream, keys in incremental.deleted.items():
        assert {names.get(k) for k in keys} == {stream}, stream
    # the untouched division kept its bookmark; the changed one moved forward
    for stream in ("accounts", "transaction_lines"):
        assert partition_bookmark(run.state, stream, second) == partition_bookmark(
            state, stream, second
        )
        assert partition_bookmark(run.state, stream, first) > partition_bookmark(
            state, stream, first
        )


def test_run_without_changes_makes_one_call_per_sync_stream_and_division(
    box, work, config, divisions, incremental
) -> None:
    assert incremental.run.returncode == 0, "the incremental run failed (see its test)"
    state = incremental.run.state
    import requests

    requests.post(f"{box.url}/_sandbox/reset-stats", timeout=30)
    run = run_tap(work / "idle", config, streams=set(SYNC), state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not any(run.records.values())
    calls = box.stats()["calls"]
    for stream in SYNC:
        for division in divisions:
            path = f"/api/v1/{division}/{SPECS[stream].endpoint}"
            assert calls.get(path) == 1, (path, calls.get(path))


def test_interrupted_sync_resumes_from_its_last_state(box, work, config, divisions) -> None:
    """Kill the tap right after the first page's STATE, resume, and lose no row."""
    first = divisions[0]
    cfg = {**config, "divisions": [first]}
    folder = work / "interrupt"
    folder.mkdir()
    config_path = write_json(folder / "config.json", cfg)
    catalog = json.loads(
        subprocess.run(
            [tap_executable(), "--config", str(config_path), "--discover"],
            capture_output=True,
            check=True,
        ).stdout
    )
    catalog_path = write_json(folder / "catalog.json", select(catalog, {"transaction_lines"}))
    proc = subprocess.Popen(
        [tap_executable(), "--config", str(config_path), "--catalog", str(catalog_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    seen: list[dict[str, Any]] = []
    last_state: dict[str, Any] | None = None
    assert proc.stdout is not None
    for line in proc.stdout:
        message = json.loads(line)
        if message["type"] == "RECORD":
            seen.append(message["record"])
        elif message["type"] == "STATE" and seen:
            last_state = message["value"]
            break
    proc.kill()
    proc.wait()
    assert last_state is not None
    truth = expected_records(box, first, "transaction_lines")
    assert 0 < len(seen) < len(truth)  # really interrupted mid-stream
    run = run_tap(folder / "resume", cfg, streams={"transaction_lines"}, state=last_state)
    assert run.returncode == 0, run.stderr[-3000:]
    resumed = run.records["transaction_lines"]
    assert {r["ID"] for r in seen} | {r["ID"] for r in resumed} == {r["ID"] for r in truth}
    assert not {r["ID"] for r in seen} & {r["ID"] for r in resumed}
