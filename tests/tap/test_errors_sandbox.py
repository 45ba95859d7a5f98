"""Errors and limits as the user sees them: a 400 is not retried and reads as one line; a
division whose daily allowance runs out stops with STATE saved, and the next run resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import (
    by_key,
    discover,
    expected_records,
    run_tap,
    tap_config,
    write_json,
)


def test_400_is_not_retried_and_reads_as_one_line(tapbox: SandboxProcess, tmp_path: Path) -> None:
    """A stale catalog selects a property Exact does not have: Exact answers 400."""
    division = requests.get(f"{tapbox.url}/_sandbox/divisions", timeout=30).json()["current"]
    config = tap_config(tapbox, tmp_path, divisions=[division])
    catalog = discover(write_json(tmp_path / "c.json", config))
    for entry in catalog["streams"]:
        chosen = entry["tap_stream_id"] == "gl_classifications"
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = chosen
        if chosen:
            entry["schema"]["properties"]["NoSuchProperty"] = {"type": ["string", "null"]}
            entry["metadata"].append(
                {"breadcrumb": ["properties", "NoSuchProperty"], "metadata": {"selected": True}}
            )
    (tmp_path / "run").mkdir()
    write_json(tmp_path / "run" / "catalog.json", catalog)
    requests.post(f"{tapbox.url}/_sandbox/reset-stats", timeout=30)
    run = run_tap(tmp_path / "run", config, streams={"gl_classifications"})
    path = f"/api/v1/{division}/sync/Financial/GLClassifications"
    stats = tapbox.stats()
    assert stats["statuses"].get("400") == 1  # the sandbox refuses unknown properties, as Exact
    assert run.returncode == 1
    assert stats["calls"][path] == 1  # never retried
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"tap-exactonline: gl_classifications: division {division}: HTTP 400")
    assert "Traceback" not in run.stderr


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory):
    proc = SandboxProcess(seed=5, divisions=2, rows=1100, minute_seconds=1, minutely_limit=1000)
    proc.start(log_dir=tmp_path_factory.mktemp("limited"))
    yield proc
    proc.stop()


def test_daily_limit_stops_the_division_with_state_and_the_next_run_resumes(
    limited: SandboxProcess, tmp_path: Path
) -> None:
    divisions = requests.get(f"{limited.url}/_sandbox/divisions", timeout=30).json()["accessible"]
    first, second = divisions
    streams = {"transaction_lines", "accounts"}
    # Daily allowance 5000; a reserve of 4998 stops the first division after the first
    # transaction_lines page (its calls: system/Divisions + 1 page) and the second after both
    # of its pages.
    config = tap_config(limited, tmp_path, divisions=[first, second])
    run1 = run_tap(tmp_path / "r1", {**config, "daily_call_reserve": 5000 - 2}, streams=streams)
    assert run1.returncode == 0, run1.stderr[-2000:]
    warnings = [line for line in run1.stderr.splitlines() if "daily API limit" in line]
    assert len(warnings) == 2, run1.stderr[-3000:]  # one per division (read in parallel)
    assert {first, second} == {d for d in divisions if any(f"division {d}" in w for w in warnings)}
    assert all("resets at" in w for w in warnings)
    got1 = run1.records["transaction_lines"]
    assert 0 < len(got1) < 2 * 1100
    run2 = run_tap(tmp_path / "r2", config, streams=streams, state=run1.state)
    assert run2.returncode == 0, run2.stderr[-2000:]
    for stream in streams:
        seen = run1.records.get(stream, []) + run2.records.get(stream, [])
        want = [r for d in divisions for r in expected_records(limited, d, stream)]
        assert set(by_key(stream, seen)) == set(by_key(stream, want)), stream
        # nothing read twice: run 2 started where run 1 saved its STATE
        assert len(seen) == len(want), stream
    assert json.dumps(run2.state)  # STATE is plain JSON


def test_api_401_refreshes_once_and_retries_the_call(tmp_path: Path) -> None:
    """The store holds an access token Exact no longer accepts: the tap gets a 401, has the
    authenticator refresh (CONTRACTS §4) and repeats the call once; no row is lost."""
    import time

    from tap_exactonline.regions import resolve_base_url
    from tap_exactonline.tokenstore import TokenRecord, open_token_store, seed_hash

    box = SandboxProcess(seed=2, divisions=1, rows=100).start(log_dir=tmp_path)
    try:
        division = requests.get(f"{box.url}/_sandbox/divisions", timeout=30).json()["current"]
        config = tap_config(box, tmp_path, divisions=[division])
        store = open_token_store(
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            base_url=resolve_base_url(config),
            token_store_path=config["token_store_path"],
            token_store_key=config["token_store_key"],
        )
        now = time.time()
        with store.transaction() as tx:
            tx.save(
                TokenRecord(
                    access_token="revoked-access-token",
                    access_token_issued_at=now - 60,
                    access_token_expires_at=now + 540,
                    refresh_token=config["refresh_token"],
                    refresh_token_issued_at=now - 60,
                    seed_hash=seed_hash(config["refresh_token"]),
                    last_refresh_at=now - 60,
                )
            )
        run = run_tap(tmp_path / "run", config, streams={"gl_classifications"})
        assert run.returncode == 0, run.stderr[-2000:]
        stats = box.stats()
        api = {p: n for p, n in stats["calls"].items() if p.startswith("/api/v1/")}
        # the first API call got the 401 and was made once more; every other call once
        assert sorted(api.values()) == [1] * (len(api) - 1) + [2], api
        assert stats["statuses"].get("401") == 1
        assert stats["token_grants"] == 1
        want = expected_records(box, division, "gl_classifications")
        assert set(by_key("gl_classifications", run.records["gl_classifications"])) == set(
            by_key("gl_classifications", want)
        )
    finally:
        box.stop()


def test_inaccessible_division_stops_only_that_division(
    tapbox: SandboxProcess, tmp_path: Path
) -> None:
    info = requests.get(f"{tapbox.url}/_sandbox/divisions", timeout=30).json()
    blocked, current = info["inaccessible"][0], info["current"]
    config = tap_config(tapbox, tmp_path, divisions=[blocked, current])
    requests.post(f"{tapbox.url}/_sandbox/reset-stats", timeout=30)
    streams = {"gl_classifications", "currencies", "journals"}
    run = run_tap(tmp_path / "run", config, streams=streams)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert f"division {blocked}: HTTP 403 (Reason: NoDivisionAccess)" in last, last
    assert "Traceback" not in run.stderr
    # one refused call for the blocked division (error budget), then it is skipped
    calls = tapbox.stats()["calls"]
    assert sum(n for p, n in calls.items() if f"/{blocked}/" in p) == 1, calls
    for stream in streams:
        assert {r["Division"] for r in run.records[stream]} == {current}, stream
        assert len(run.records[stream]) == len(expected_records(tapbox, current, stream))
