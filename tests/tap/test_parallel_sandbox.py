"""parallel_divisions: six divisions read at once against a sandbox with latency.

One division is refused (403), one runs out of its daily allowance in the middle of the run;
the others must not notice. The Singer output is checked message by message: whole JSON
messages, SCHEMA before a stream's records, records valid against it, and every STATE holding,
per division, exactly the bookmark of the records written before it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft7Validator

from tests.support.oracle import differences
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import by_key, expected_records, run_tap, tap_config

ROWS = 1500
STREAMS = {
    "transaction_lines",  # sync, 2 pages of 1000 per division
    "gl_accounts",  # sync
    "sales_entries",  # Modified, 60-row pages
    "sales_entry_lines",  # lines through the entries' $expand
    "payments",  # bulk, Modified
    "currencies",  # full table
    "divisions",  # one call for all divisions (not partitioned)
}
SORTED = {"transaction_lines", "gl_accounts"}
DAILY_LIMIT = 80
LEFT_FOR_RUN = 6  # calls the limited division has left when the run starts


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory):
    proc = SandboxProcess(seed=23, divisions=5, rows=ROWS, latency_ms=30, minute_seconds=1,
                          minutely_limit=60, daily_limit=DAILY_LIMIT)
    proc.start(log_dir=tmp_path_factory.mktemp("parallel"))
    yield proc
    proc.stop()


def _use_up_calls(box: SandboxProcess, division: int, calls: int) -> None:
    """Spend ``calls`` of the division's daily allowance as another tool of the app would."""
    headers = {"Authorization": f"Bearer {box.access_token()}", "Accept": "application/json"}
    with requests.Session() as session:
        for _ in range(calls):
            resp = session.get(f"{box.url}/api/v1/{division}/financial/Journals",
                               params={"$select": "ID"}, headers=headers, timeout=30)
            while resp.status_code == 429:  # the 1-s minute: wait for the next one
                resp = session.get(resp.url, headers=headers, timeout=30)
            assert resp.status_code == 200, resp.text


def _read_messages(stdout: bytes) -> list[dict[str, Any]]:
    messages = []
    for number, line in enumerate(stdout.splitlines(), 1):
        message = json.loads(line)  # every line one whole JSON message
        assert message.get("type") in {"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION"}, number
        messages.append(message)
    return messages


def _partitions(state: dict[str, Any], stream: str) -> dict[int, dict[str, Any]]:
    found = state.get("bookmarks", {}).get(stream, {}).get("partitions", [])
    return {p["context"]["Division"]: p for p in found}


def check_singer_output(messages: list[dict[str, Any]], start: dict[str, Any]) -> None:
    """Validate the output message by message (see the module docstring)."""
    validators: dict[str, Draft7Validator] = {}
    key = {}
    emitted: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for number, message in enumerate(messages, 1):
        kind = message["type"]
        if kind == "SCHEMA":
            validators[message["stream"]] = Draft7Validator(message["schema"])
            key[message["stream"]] = message.get("bookmark_properties") or [None]
        elif kind == "RECORD":
            stream, record = message["stream"], message["record"]
            assert stream in validators, f"message {number}: RECORD of {stream} before SCHEMA"
            errors = list(validators[stream].iter_errors(record))
            assert not errors, f"message {number}: {errors[0].message}"
            if key[stream][0]:
                emitted[(stream, record["Division"])].append(record[key[stream][0]])
        elif kind == "STATE":
            for stream in STREAMS - {"divisions", "currencies"}:
                before = _partitions(start, stream)
                for division, partition in _partitions(message["value"], stream).items():
                    seen = emitted.get((stream, division))
                    value = partition.get("replication_key_value")
                    if stream in SORTED:
                        # a sync stream's bookmark is the last Timestamp written, never ahead
                        expected = seen[-1] if seen else before.get(division, {}).get(
                            "replication_key_value")
                        assert value == expected, (number, stream, division, value, expected)
                    elif value is not None and seen:
                        assert value <= max(seen), (number, stream, division, value)


def test_six_divisions_in_parallel_with_a_403_and_a_daily_limit(
    box: SandboxProcess, tmp_path: Path
) -> None:
    info = requests.get(f"{box.url}/_sandbox/divisions", timeout=30).json()
    accessible, refused = info["accessible"], info["inaccessible"][0]
    limited = accessible[2]
    good = [d for d in accessible if d != limited]
    divisions = [*accessible[:3], refused, *accessible[3:]]  # six, the 403 in the middle
    _use_up_calls(box, limited, DAILY_LIMIT - LEFT_FOR_RUN)
    config = tap_config(box, tmp_path, divisions=divisions, parallel_divisions=4)

    run1 = run_tap(tmp_path / "r1", config, streams=STREAMS, keep_stdout=True)
    # the 403 fails the run at its end, with one line, after every other division was read
    assert run1.returncode == 1, run1.stderr[-3000:]
    last = run1.stderr.strip().splitlines()[-1]
    assert f"division {refused}: HTTP 403" in last, last
    assert "Traceback" not in run1.stderr
    assert "Reading 6 divisions, 4 at once" in run1.stderr
    assert f"daily API limit of division {limited} reached" in run1.stderr
    check_singer_output(_read_messages(run1.stdout), {})

    # the healthy divisions: every row, as Exact has them; a bookmark per sync stream
    for stream in STREAMS - {"divisions"}:
        for division in good:
            got = [r for r in run1.records[stream] if r["Division"] == division]
            want = expected_records(box, division, stream)
            assert not differences(stream, by_key(stream, want), by_key(stream, got),
                                   exact_fields=True), (stream, division)
            assert len(got) == len(want), (stream, division)
        assert not [r for r in run1.records[stream] if r["Division"] == refused], stream
    for stream in SORTED:
        partitions = _partitions(run1.state, stream)
        for division in good:
            assert partitions[division]["replication_key_value"], (stream, division)
    limited_rows = sum(1 for s in STREAMS for r in run1.records[s] if r["Division"] == limited)
    total_limited = sum(len(expected_records(box, limited, s)) for s in STREAMS - {"divisions"})
    assert limited_rows < total_limited  # it stopped part-way

    # the divisions were read side by side: a later stream of one division is written before
    # an earlier stream of another (a run one division or one stream at a time never does)
    order = [(m["stream"], m["record"]["Division"]) for m in _read_messages(run1.stdout)
             if m["type"] == "RECORD" and m["stream"] in SORTED]
    first_gl = min(i for i, (s, _) in enumerate(order) if s == "gl_accounts")
    assert any(s == "transaction_lines" for s, _ in order[first_gl:]), "not interleaved"

    # next day: the limited division resumes from STATE and ends with exactly its rows
    requests.post(f"{box.url}/_sandbox/clock", json={"advance_seconds": 86400}, timeout=30)
    config2 = {**config, "divisions": [d for d in divisions if d != refused]}
    run2 = run_tap(tmp_path / "r2", config2, streams=STREAMS, state=run1.state,
                   keep_stdout=True)
    assert run2.returncode == 0, run2.stderr[-3000:]
    check_singer_output(_read_messages(run2.stdout), run1.state)
    for stream in SORTED:
        seen = [r for run in (run1, run2) for r in run.records[stream] if r["Division"] == limited]
        want = expected_records(box, limited, stream)
        assert not differences(stream, by_key(stream, want), by_key(stream, seen),
                               exact_fields=True), stream
        assert len(seen) == len(want), stream  # nothing read twice
        # and nothing new for the healthy divisions of a sync stream
        assert not [r for r in run2.records[stream] if r["Division"] in good], stream


def test_latency_ms_delays_every_api_answer_side_by_side() -> None:
    """`--latency-ms 800`: each API answer waits 0.8 s; answers to parallel calls wait together."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    with SandboxProcess(seed=3, divisions=1, rows=50, no_limits=True, latency_ms=800) as slow:
        headers = {"Authorization": f"Bearer {slow.access_token()}",
                   "Accept": "application/json"}

        def me(_: int) -> float:
            started = time.monotonic()
            resp = requests.get(f"{slow.url}/api/v1/current/Me", headers=headers, timeout=60)
            assert resp.status_code == 200
            return time.monotonic() - started

        with ThreadPoolExecutor(4) as pool:
            started = time.monotonic()
            each = list(pool.map(me, range(4)))
            together = time.monotonic() - started
        assert min(each) >= 0.8, each
        assert together < 4 * 0.8, (together, each)  # not one after another
