"""Delete detection for the Modified family (issue #16, item 3), against a real sandbox.

Exact logs no deletions for bulk/Cashflow/Payments, purchase/PurchaseInvoices or the entry
endpoints; with ``delete_detection`` the tap records the keys it emits and, after the read,
lists the current keys (``$select=<key>``) and sends a tombstone for each key that is gone.
The deletions are made through the sandbox's control API; what must arrive is exactly the
keys the sandbox reports deleted, nothing for updated rows, nothing a second time. Calls are
counted by the sandbox (``/_sandbox/stats``), which also counts 429s: the tap's rate limiter
must keep the listing inside a tight minutely limit, and its daily reserve must stop a listing
before it is complete, in which case nothing may be emitted and the ledger must not change.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tap_exactonline.tombstones import DELETED_AT
from tests.support.oracle import canonical
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import TOKEN_STORE_KEY, run_tap, tap_config

#: (stream, endpoint path, key, page size): one bulk, one standard, one read through $expand.
DETECTED = [
    ("payments", "bulk/Cashflow/Payments", "ID", 1000),
    ("purchase_invoices", "purchase/PurchaseInvoices", "ID", 60),
    ("sales_entry_lines", "salesentry/SalesEntries", "ID", 60),
]
STREAMS = {name for name, *_ in DETECTED}
MINUTELY_LIMIT = 4


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    # A tight minutely limit (4 calls a 1-second window): the listing's pages must wait for
    # the window instead of getting 429s.
    proc = SandboxProcess(seed=21, divisions=3, rows=300, minute_seconds=1,
                          minutely_limit=MINUTELY_LIMIT, daily_limit=100000)
    proc.start(log_dir=tmp_path_factory.mktemp("delete-detection"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def divisions(box: SandboxProcess) -> list[int]:
    return requests.get(f"{box.url}/_sandbox/divisions", timeout=30).json()["accessible"]


def calls_to(box: SandboxProcess, division: int, endpoint: str) -> int:
    return int(box.stats()["calls"].get(f"/api/v1/{division}/{endpoint}", 0))


def ledger_keys(path: Path, division: int, stream: str) -> set[str]:
    with sqlite3.connect(path) as con:
        return {r[0] for r in con.execute(
            "SELECT entity_key FROM exactonline_key_ledger WHERE division = ? AND stream = ?",
            (division, stream))}


def keys_at_exact(box: SandboxProcess, division: int, stream: str, key: str = "ID") -> set[str]:
    return {str(r[key]) for r in canonical(box, division, stream)}


def delete(box: SandboxProcess, division: int, stream: str, count: int) -> set[str]:
    """Delete ``count`` rows (lines: whole entries); the keys of ``stream`` that went."""
    before = keys_at_exact(box, division, stream)
    target = "sales_entries" if stream == "sales_entry_lines" else stream
    box.mutate({"division": division, "stream": target, "action": "delete", "count": count})
    gone = before - keys_at_exact(box, division, stream)
    assert gone, stream
    return gone


def test_deleted_rows_arrive_as_tombstones_exactly_once(
    box: SandboxProcess, tmp_path: Path, divisions: list[int]
) -> None:
    two = divisions[:2]
    ledger = tmp_path / "ledger" / "keys.sqlite"
    config = tap_config(box, tmp_path, divisions=two, parallel_divisions=2,
                        delete_detection=sorted(STREAMS), delete_detection_store=str(ledger))
    first = run_tap(tmp_path / "first", config, streams=STREAMS)
    assert first.returncode == 0, first.stderr[-3000:]
    assert not first.tombstones, "a first pass seeds the ledger and emits nothing"
    for name, _, key, _ in DETECTED:
        for division in two:
            emitted = {str(r[key]) for r in first.records[name] if r["Division"] == division}
            assert emitted, name
            assert ledger_keys(ledger, division, name) == emitted, name

    # The ledger is private and holds keys only: no token, secret or row value.
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert stat.S_IMODE(ledger.parent.stat().st_mode) == 0o700
    raw = ledger.read_bytes()
    for secret in (box.options["client_secret"], config["refresh_token"], TOKEN_STORE_KEY):
        assert secret.encode() not in raw

    gone: dict[tuple[str, int], set[str]] = {}
    for division in two:
        gone["payments", division] = delete(box, division, "payments", 2)
        gone["purchase_invoices", division] = delete(box, division, "purchase_invoices", 1)
        gone["sales_entry_lines", division] = delete(box, division, "sales_entry_lines", 1)
        box.mutate({"division": division, "stream": "payments", "action": "update", "count": 2})
    rows_at_exact = {(name, d): len(canonical(box, d, name)) for name, *_ in DETECTED for d in two}
    before = {(name, d): calls_to(box, d, path) for name, path, *_ in DETECTED for d in two}
    limited = box.stats()["rate_limited"]

    started = dt.datetime.now(dt.timezone.utc)
    second = run_tap(tmp_path / "second", config, streams=STREAMS, state=first.state)
    finished = dt.datetime.now(dt.timezone.utc)
    assert second.returncode == 0, second.stderr[-3000:]

    for name, path, key, page in DETECTED:
        got: dict[int, list[str]] = {}
        for record in second.tombstones[name]:
            # The key, the deletion moment, and the replication key at that moment (so the
            # tombstone is the latest version in an append-only load).
            replication_key = "EntryModified" if name.endswith("_lines") else "Modified"
            assert set(record) == {"Division", key, DELETED_AT, replication_key}, record
            assert record[replication_key] == record[DELETED_AT]
            moment = dt.datetime.fromisoformat(record[DELETED_AT].replace("Z", "+00:00"))
            assert started <= moment <= finished
            got.setdefault(record["Division"], []).append(str(record[key]))
        for division in two:
            assert sorted(got.get(division, [])) == sorted(gone[name, division]), name
            assert not ledger_keys(ledger, division, name) & gone[name, division]
            # The listing cost: one call per page of keys, on top of the incremental read.
            entries = (len(canonical(box, division, "sales_entries"))
                       if name == "sales_entry_lines" else rows_at_exact[name, division])
            read_calls = calls_to(box, division, path) - before[name, division]
            assert read_calls == 1 + max(1, math.ceil(entries / page)), (name, read_calls)
    # The updated payments arrive as rows, not tombstones.
    assert {str(r["ID"]) for r in second.records["payments"]}
    # Tombstones follow the stream's rows of this run.
    kinds = [kind for stream, kind, _ in second.order if stream == "payments"]
    assert kinds.index("tombstone") > max(i for i, k in enumerate(kinds) if k == "row")
    # The pages waited for the 4-a-second window instead of hitting it.
    assert box.stats()["rate_limited"] == limited

    third = run_tap(tmp_path / "third", config, streams=STREAMS, state=second.state)
    assert third.returncode == 0, third.stderr[-3000:]
    assert not third.tombstones, "a deletion is reported once"


def test_a_listing_stopped_by_the_daily_reserve_emits_nothing(
    box: SandboxProcess, tmp_path: Path, divisions: list[int]
) -> None:
    division = divisions[2]
    ledger = tmp_path / "keys.sqlite"
    config = tap_config(box, tmp_path, divisions=[division],
                        delete_detection=["purchase_invoices"], delete_detection_store=str(ledger))
    # More than one page of 60 keys, so that the reserve can stop the listing half-way.
    box.mutate({"division": division, "stream": "purchase_invoices", "action": "create",
                "count": 60})
    assert len(canonical(box, division, "purchase_invoices")) > 60
    first = run_tap(tmp_path / "first", config, streams={"purchase_invoices"})
    assert first.returncode == 0, first.stderr[-3000:]
    gone = delete(box, division, "purchase_invoices", 2)
    known = ledger_keys(ledger, division, "purchase_invoices")
    assert gone <= known

    # Calls left today: the incremental read takes one, the listing's first page one more;
    # then the remaining calls reach the reserve, before the second page.
    used = sum(n for path, n in box.stats()["calls"].items()
               if path.startswith(f"/api/v1/{division}/"))
    reserve = 100000 - used - 2
    stopped = run_tap(tmp_path / "stopped", {**config, "daily_call_reserve": reserve},
                      streams={"purchase_invoices"}, state=first.state)
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    assert "before the key listing was complete" in stopped.stderr
    assert not stopped.tombstones
    assert ledger_keys(ledger, division, "purchase_invoices") == known
    assert calls_to(box, division, "purchase/PurchaseInvoices") > 0

    # The next day (the sandbox clock moves on; Exact resets at 00:00 UTC) the pass completes.
    requests.post(f"{box.url}/_sandbox/clock", json={"advance_seconds": 86400},
                  timeout=30).raise_for_status()
    resumed = run_tap(tmp_path / "resumed", config, streams={"purchase_invoices"},
                      state=stopped.state)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert {str(r["ID"]) for r in resumed.tombstones["purchase_invoices"]} == gone


def test_a_stream_outside_the_modified_family_is_refused_in_one_line(
    box: SandboxProcess, tmp_path: Path, divisions: list[int]
) -> None:
    config = tap_config(box, tmp_path, divisions=divisions[:1],
                        delete_detection=["accounts"], delete_detection_store=str(tmp_path / "k"))
    run = run_tap(tmp_path, config, streams={"accounts"})
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-exactonline: delete_detection: accounts is not a stream"), last
    assert "Traceback" not in run.stderr
    assert not run.records
    assert not (tmp_path / "k").exists()


def test_an_empty_listing_writes_no_tombstones(
    box: SandboxProcess, tmp_path: Path, divisions: list[int]
) -> None:
    """Exact answering an empty key list for a division that had rows is not "all deleted":
    with hard delete that would empty the table. Nothing is emitted; a WARNING says why."""
    division = divisions[2]
    ledger = tmp_path / "keys.sqlite"
    config = tap_config(box, tmp_path, divisions=[division],
                        delete_detection=["payments"], delete_detection_store=str(ledger))
    first = run_tap(tmp_path / "first", config, streams={"payments"})
    assert first.returncode == 0, first.stderr[-3000:]
    known = ledger_keys(ledger, division, "payments")
    assert known
    # Both calls of the next run (the incremental read and the listing) answer an empty page.
    requests.post(f"{box.url}/_sandbox/faults", timeout=30, json={
        "kind": "rewrite", "count": 2, "path_contains": f"/{division}/bulk/Cashflow/Payments",
        "rewrite": {"json": {"d": {"results": []}}}}).raise_for_status()
    second = run_tap(tmp_path / "second", config, streams={"payments"}, state=first.state)
    requests.post(f"{box.url}/_sandbox/faults", json={"clear": True},
                  timeout=30).raise_for_status()
    assert second.returncode == 0, second.stderr[-3000:]
    assert not second.tombstones
    assert "Exact listed no keys while" in second.stderr
    assert ledger_keys(ledger, division, "payments") == known
