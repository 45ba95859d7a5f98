"""Full-table tombstones (issue #16): rows gone from a complete read, against a real sandbox.

With ``full_table_tombstones`` the full-table streams and Exact's reports compare each
complete read of a division with the previous one (the key ledger) and write a tombstone for
every key that is gone, after the division's rows. What must arrive is exactly the keys the
sandbox no longer serves: a deleted cost center (plain full table, also in a run over an
explicit ``divisions`` list, where ACTIVATE_VERSION is held back), a receivable of a deleted
sales entry (``read/financial/ReceivablesList``, a snapshot), nothing for rows still there,
nothing a second time once a STATE covering the tombstones was committed, and the same
tombstones again when it was not (a target that failed after the tap sent them).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_exactonline.fulltabledeletions import WRITTEN_MARKER
from tap_exactonline.streamtable import SPECS
from tap_exactonline.tombstones import DELETED_AT
from tests.support.oracle import canonical
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import TapRun, run_tap, tap_config

STREAMS = {"cost_centers", "journals", "receivables_list", "opening_balances_current_year",
           "divisions"}


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    proc = SandboxProcess(seed=23, divisions=2, rows=300, no_limits=True)
    proc.start(log_dir=tmp_path_factory.mktemp("full-table-tombstones"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def divisions(box: SandboxProcess) -> list[int]:
    return requests.get(f"{box.url}/_sandbox/divisions", timeout=30).json()["accessible"]


def keys_at_exact(box: SandboxProcess, division: int, stream: str) -> set[str]:
    key = SPECS[stream].key
    return {str(r[key]).lower() for r in canonical(box, division, stream)}


def tombstones_by_division(run: TapRun, stream: str) -> dict[int, set[str]]:
    got: dict[int, set[str]] = {}
    for record in run.tombstones[stream]:
        got.setdefault(record["Division"], set()).add(str(record[SPECS[stream].key]).lower())
    return got


def partition_state(state: dict[str, Any], stream: str, division: int) -> dict[str, Any]:
    partitions = state["bookmarks"][stream]["partitions"]
    return next(p for p in partitions if p["context"] == {"Division": division})


def gone_keys(ledger: Path) -> int:
    with sqlite3.connect(ledger) as con:
        return int(con.execute("SELECT count(*) FROM exactonline_key_ledger_gone").fetchone()[0])


def change(box: SandboxProcess, divisions: list[int], *, receivables: bool = True
           ) -> dict[tuple[str, int], set[str]]:
    """Delete a cost center and a sales entry per division, create a cost center; what went."""
    gone: dict[tuple[str, int], set[str]] = {}
    for division in divisions:
        before = {s: keys_at_exact(box, division, s) for s in ("cost_centers",
                                                               "receivables_list")}
        box.mutate({"division": division, "stream": "cost_centers", "action": "delete",
                    "count": 1})
        box.mutate({"division": division, "stream": "sales_entries", "action": "delete",
                    "count": 2})
        box.mutate({"division": division, "stream": "cost_centers", "action": "create",
                    "count": 1})
        for stream, keys in before.items():
            gone[stream, division] = keys - keys_at_exact(box, division, stream)
    assert all(gone[("cost_centers", d)] for d in divisions)
    if receivables:
        assert any(gone[("receivables_list", d)] for d in divisions), "no receivable deleted"
    return gone


@pytest.mark.parametrize("parallel", [1, 2])
def test_rows_gone_from_a_full_read_arrive_as_tombstones_once(
    box: SandboxProcess, divisions: list[int], tmp_path: Path, parallel: int
) -> None:
    ledger = tmp_path / "ledger" / "keys.sqlite"
    # An explicit divisions list: ACTIVATE_VERSION is held back, tombstones still work.
    config = tap_config(box, tmp_path, divisions=divisions, parallel_divisions=parallel,
                        full_table_tombstones=True, delete_detection_store=str(ledger),
                        emit_activate_version_messages=True)
    first = run_tap(tmp_path / "first", config, streams=STREAMS)
    assert first.returncode == 0, first.stderr[-3000:]
    assert not first.tombstones, "a first read only notes the keys"
    assert "full-table tombstones start with the next run" in first.stderr

    gone = change(box, divisions)
    started = dt.datetime.now(dt.timezone.utc)
    second = run_tap(tmp_path / "second", config, streams=STREAMS, state=first.state)
    finished = dt.datetime.now(dt.timezone.utc)
    assert second.returncode == 0, second.stderr[-3000:]

    for stream in ("cost_centers", "receivables_list"):
        got = tombstones_by_division(second, stream)
        for division in divisions:
            assert got.get(division, set()) == gone[stream, division], (stream, division)
            # the table as a target keeping rows would hold it equals Exact's rows now
            loaded = {str(r[SPECS[stream].key]).lower() for r in first.records[stream]
                      + second.records[stream] if r["Division"] == division}
            assert loaded - got.get(division, set()) == keys_at_exact(box, division, stream)
    for record in second.tombstones["cost_centers"] + second.tombstones["receivables_list"]:
        moment = dt.datetime.fromisoformat(record[DELETED_AT].replace("Z", "+00:00"))
        assert started <= moment <= finished
    assert {r.get("SnapshotTakenAt") for r in second.tombstones["receivables_list"]} <= {
        r["SnapshotTakenAt"] for r in second.records["receivables_list"]}
    for record in second.tombstones["cost_centers"]:
        # Modified = the deletion moment: the row's latest version in an append-only load
        assert set(record) == {"Division", "ID", DELETED_AT, "Modified"}, record
        assert record["Modified"] == record[DELETED_AT]
    # Nothing for the streams whose rows are all still there.
    for stream in ("journals", "opening_balances_current_year", "divisions"):
        assert not second.tombstones[stream], stream
    # A division's tombstones follow its rows of this run (the new cost center among them).
    for division in divisions:
        kinds = [kind for stream, kind, key in second.order
                 if stream == "cost_centers" and key[0] == division]
        assert "row" in kinds
        assert kinds == sorted(kinds, key=lambda k: k == "tombstone"), division
    # The STATE marks the last tombstone written per division.
    for division in divisions:
        marker = partition_state(second.state, "cost_centers", division)[WRITTEN_MARKER]
        assert marker[0] == max(r[DELETED_AT] for r in second.tombstones["cost_centers"]
                                if r["Division"] == division)
    assert not [m for m in second.stderr.splitlines() if "ACTIVATE_VERSION" in m
                and "subset" not in m]

    # A third run from the committed STATE: the tombstones are confirmed, none again.
    third = run_tap(tmp_path / "third", config, streams=STREAMS, state=second.state)
    assert third.returncode == 0, third.stderr[-3000:]
    assert not third.tombstones
    assert gone_keys(ledger) == 0


def test_tombstones_are_sent_again_until_a_committed_state_covers_them(
    box: SandboxProcess, divisions: list[int], tmp_path: Path
) -> None:
    ledger = tmp_path / "keys.sqlite"
    config = tap_config(box, tmp_path, divisions=divisions, parallel_divisions=1,
                        full_table_tombstones=True, delete_detection_store=str(ledger))
    first = run_tap(tmp_path / "first", config, streams={"cost_centers"})
    assert first.returncode == 0, first.stderr[-3000:]
    gone = change(box, divisions, receivables=False)
    second = run_tap(tmp_path / "second", config, streams={"cost_centers"}, state=first.state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.tombstones["cost_centers"]
    # The target failed after the tap sent the tombstones: the committed STATE is still the
    # first run's. The next run sends the same tombstones again, with their first moment.
    again = run_tap(tmp_path / "again", config, streams={"cost_centers"}, state=first.state)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.tombstones["cost_centers"] == second.tombstones["cost_centers"]
    assert "sent again" in again.stderr
    assert tombstones_by_division(again, "cost_centers") == {
        d: gone["cost_centers", d] for d in divisions}
    # Once a run's STATE is committed, they stop.
    settled = run_tap(tmp_path / "settled", config, streams={"cost_centers"}, state=again.state)
    assert settled.returncode == 0, settled.stderr[-3000:]
    assert not settled.tombstones
    assert gone_keys(ledger) == 0
    # The committed STATE now holds the marker of earlier tombstones: it must not cover the
    # next deletions' tombstones if those get lost too.
    later = change(box, divisions, receivables=False)
    fourth = run_tap(tmp_path / "fourth", config, streams={"cost_centers"}, state=settled.state)
    lost_again = run_tap(tmp_path / "lost", config, streams={"cost_centers"},
                         state=settled.state)
    assert fourth.returncode == lost_again.returncode == 0, lost_again.stderr[-3000:]
    assert tombstones_by_division(fourth, "cost_centers") == {
        d: later["cost_centers", d] for d in divisions}
    assert lost_again.tombstones["cost_centers"] == fourth.tombstones["cost_centers"]


def test_off_by_default_no_ledger_no_tombstones(
    box: SandboxProcess, divisions: list[int], tmp_path: Path
) -> None:
    ledger = tmp_path / "keys.sqlite"
    config = tap_config(box, tmp_path, divisions=divisions, delete_detection_store=str(ledger))
    first = run_tap(tmp_path / "first", config, streams={"cost_centers"})
    box.mutate({"division": divisions[0], "stream": "cost_centers", "action": "delete",
                "count": 1})
    second = run_tap(tmp_path / "second", config, streams={"cost_centers"}, state=first.state)
    assert first.returncode == second.returncode == 0, second.stderr[-3000:]
    assert not second.tombstones
    assert not ledger.exists()
