"""The ``sync/*`` family in-process (no server): where a partition starts, its ``$filter``,
the Timestamp check and the ``stream_name`` of deletions (fact sheet §5).

The sandbox tests (full and incremental syncs, deletions, division moves) show the same through
real runs; these pin the rules so ``make mutants`` can check them per mutant. Exact's side is
replaced only where the tap would call it: ``division_move_dates`` and ``sync_timestamp``.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_exactonline.tap import TapExactOnline

DIVISION = 3100001
MOVED = "2024-05-01T08:00:00+00:00"


def _stream(name: str, moves: dict[int, str | None] | None = None, **config: Any) -> Any:
    tap = TapExactOnline(config={"client_id": "x", "client_secret": "y",
                                 "divisions": [DIVISION], "region": "uk", **config},
                         parse_env_config=False)
    stream = tap.streams[name]
    run = stream.run
    run.division_move_dates = lambda via: {} if moves is None else moves
    run.sync_timestamp = lambda division, endpoint, start: (
        7000 if (division, endpoint, start) == (DIVISION, "SalesInvoices", "2024-01-01") else -1)
    return stream


def _start(stream: Any, state: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Prepare the partition from ``state``; its ``$filter`` and its STATE afterwards."""
    context = {"Division": DIVISION}
    stream.get_context_state(context).update(state or {})
    stream.prepare_partition(context, DIVISION)
    return stream.query_options(context)["$filter"], stream.get_context_state(context)


def test_a_partition_starts_after_its_bookmark_else_at_start_date_else_at_1() -> None:
    bookmark = {"replication_key": "Timestamp", "replication_key_value": 123456789012}
    assert _start(_stream("accounts"), bookmark)[0] == "Timestamp gt 123456789012L"
    assert _start(_stream("accounts"))[0] == "Timestamp gt 1L"
    # start_date goes through SyncTimestamp where Exact offers it for the endpoint
    assert _start(_stream("sales_invoices", start_date="2024-01-01"))[0] == (
        "Timestamp gt 7000L")
    # ... and reads from the beginning where it does not (sync/CRM/Accounts)
    assert _start(_stream("accounts", start_date="2024-01-01"))[0] == "Timestamp gt 1L"
    # a bookmark of another replication key (an old STATE) is not a Timestamp
    other = {"replication_key": "Modified", "replication_key_value": "2024-01-01T00:00:00Z"}
    assert _start(_stream("accounts"), other)[0] == "Timestamp gt 1L"


def test_a_moved_division_starts_over_once_and_remembers_the_move(
        caplog: pytest.LogCaptureFixture) -> None:
    bookmark = {"replication_key": "Timestamp", "replication_key_value": 5000}
    moved = {DIVISION: MOVED}
    caplog.set_level(logging.WARNING)
    # first run that sees the division: the move date is noted, the bookmark kept
    first, state = _start(_stream("accounts", moved), bookmark)
    assert (first, state["division_move_date"]) == ("Timestamp gt 5000L", MOVED)
    # the same move again: nothing changes
    again, state = _start(_stream("accounts", moved), {**bookmark, "division_move_date": MOVED})
    assert (again, state["division_move_date"]) == ("Timestamp gt 5000L", MOVED)
    assert not caplog.records
    # a new move: Exact regenerated every Timestamp, so the stream starts over, with a WARNING
    new, state = _start(_stream("accounts", moved),
                        {**bookmark, "division_move_date": "2023-01-01T00:00:00+00:00"})
    assert (new, state["division_move_date"]) == ("Timestamp gt 1L", MOVED)
    assert "replication_key_value" not in state
    assert "replication_key" not in state
    assert [r.getMessage() for r in caplog.records] == [
        f"accounts: division {DIVISION} moved (DivisionMoveDate {MOVED}, was "
        "2023-01-01T00:00:00+00:00): Exact regenerated its Timestamps, so this stream starts over"]
    # a new move without a bookmark (nothing read yet): nothing to drop, nothing to say
    caplog.clear()
    _, state = _start(_stream("accounts", moved), {"division_move_date": "2023-01-01"})
    assert (state["division_move_date"], caplog.records) == (MOVED, [])
    # a division never moved: nothing noted
    _, state = _start(_stream("accounts", {DIVISION: None}), bookmark)
    assert state["division_move_date"] is None
    _, state = _start(_stream("accounts", {}), bookmark)
    assert "division_move_date" not in state


def _page(stream: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    context = {"Division": DIVISION}
    stream.prepare_partition(context, DIVISION)
    stream._current_division = DIVISION
    response = requests.Response()
    response.status_code = 200
    response._content = requests.compat.json.dumps({"d": {"results": rows}}).encode()
    response.request = requests.Request(
        "GET", f"https://start.exactonline.co.uk/api/v1/{DIVISION}/x").prepare()
    stream.validate_response(response)
    return list(stream.parse_response(response))


ID = "8f1a2b3c-0000-4000-8000-000000000001"


def test_a_timestamp_is_an_int64_and_digits_are_read_as_one() -> None:
    stream = _stream("accounts")
    records = _page(stream, [{"ID": ID, "Timestamp": 0}, {"ID": ID, "Timestamp": "42"}])
    assert [r["Timestamp"] for r in records] == [0, 42]
    for bad in (-1, True, "4x", None, 1.5):
        with pytest.raises(RetriableAPIError, match=r"field Timestamp: the Timestamp is not an "
                                                    r"Int64"):
            _page(stream, [{"ID": ID, "Timestamp": bad}])


def test_a_deletion_is_named_by_the_stream_of_its_entity_type() -> None:
    rows = [{"ID": ID, "Timestamp": 1, "EntityType": 2},
            {"ID": ID, "Timestamp": 2, "EntityType": 9},
            {"ID": ID, "Timestamp": 3, "EntityType": 999},
            {"ID": ID, "Timestamp": 4, "EntityType": None}]
    records = _page(_stream("deleted"), rows)
    assert [r["stream_name"] for r in records] == ["accounts", "items", None, None]
    assert [r["Division"] for r in records] == [DIVISION] * 4
