"""The bookmark of the ``Modified`` family, capped below Exact's clock (in-process, no server).

A row changed on an already-read page while later pages are read ends up with a ``Modified``
below the later rows'; the bookmark therefore never passes the moment the partition's read
started (Exact's ``Date`` header of its first page) less five minutes, the SDK's replication-key
signpost (README "Streams", streams.py ``ModifiedStream``). The sandbox tests see the same
through a real run; this test pins the arithmetic so ``make mutants`` can check it per mutant.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tap_exactonline.streams import (
    FullTableStream,
    ModifiedStream,
    SnapshotStream,
    SyncStream,
)
from tap_exactonline.streamtable import CATALOG
from tap_exactonline.tap import TapExactOnline

DIVISION = 3100001


def _tap() -> TapExactOnline:
    return TapExactOnline(config={"client_id": "x", "client_secret": "y",
                                  "divisions": [DIVISION], "region": "uk"},
                          parse_env_config=False)


def _first_page(stream: Any, date_header: str | None) -> dict[str, Any]:
    """Let ``stream`` read an empty first page served at ``date_header``; its context."""
    context = {"Division": DIVISION}
    response = requests.Response()
    response.status_code = 200
    response._content = b'{"d":{"results":[]}}'
    if date_header is not None:
        response.headers["Date"] = date_header
    response.request = requests.Request(
        "GET", f"https://start.exactonline.co.uk/api/v1/{DIVISION}/x").prepare()
    stream._current_division = DIVISION
    stream.prepare_partition(context, DIVISION)
    stream.validate_response(response)
    return context


def _bookmark(stream: Any, context: dict[str, Any], modified: str) -> dict[str, Any]:
    """Read one row changed at ``modified``; the partition's STATE as the run ends it."""
    stream._increment_stream_state({"Division": DIVISION, "Modified": modified},
                                   context=context)
    state = stream.get_context_state(context)
    stream._finalize_state(state)  # what the SDK does when the partition is done
    return state


@pytest.mark.parametrize(
    ("modified", "bookmark"),
    [
        ("2024-07-03T09:59:00+00:00", "2024-07-03T09:55:00+00:00"),  # inside the 5 minutes
        ("2024-07-03T09:55:00+00:00", "2024-07-03T09:55:00+00:00"),
        ("2024-07-03T09:50:00+00:00", "2024-07-03T09:50:00+00:00"),  # before: kept
    ],
)
def test_bookmark_stays_five_minutes_below_exacts_clock(modified: str, bookmark: str) -> None:
    stream = _tap().streams["purchase_invoices"]
    context = _first_page(stream, "Wed, 03 Jul 2024 10:00:00 GMT")
    state = _bookmark(stream, context, modified)
    assert state["replication_key"] == "Modified"
    assert state["replication_key_value"] == bookmark


def test_without_a_date_header_the_taps_clock_caps_the_bookmark() -> None:
    stream = _tap().streams["sales_entries"]
    context = _first_page(stream, None)
    value = _bookmark(stream, context, "2999-01-01T00:00:00+00:00")["replication_key_value"]
    assert value < "2999", value  # capped at now - 5 minutes, not the row's future Modified


def test_every_row_of_the_table_names_the_family_its_stream_reads_as() -> None:
    families = {"sync": SyncStream, "modified": ModifiedStream, "full_table": FullTableStream,
                "snapshot": SnapshotStream}
    streams = _tap().streams
    for spec in CATALOG:
        assert spec.family in families, spec
        assert isinstance(streams[spec.name], families[spec.family]), spec.name


def _filter(stream: Any, state: dict[str, Any] | None = None) -> str | None:
    """The ``$filter`` of the partition's first page after ``state``; None when it has none."""
    context = {"Division": DIVISION}
    stream.get_context_state(context).update(state or {})
    stream._write_starting_replication_value(context)  # what the SDK does as a partition starts
    stream.prepare_partition(context, DIVISION)
    options = stream.query_options(context)
    assert options["$select"], options
    return options.get("$filter")


def test_a_partition_reads_from_its_bookmark_else_from_start_date_else_everything() -> None:
    bookmark = {"replication_key": "Modified",
                "replication_key_value": "2024-07-03T09:55:00+00:00"}
    # the bookmark in Exact's Amsterdam wall time (summer: UTC+2), read with ge
    assert _filter(_tap().streams["purchase_invoices"], bookmark) == (
        "Modified ge datetime'2024-07-03T11:55:00'")
    tap = TapExactOnline(config={"client_id": "x", "client_secret": "y", "region": "uk",
                                 "divisions": [DIVISION], "start_date": "2024-01-01"},
                         parse_env_config=False)
    assert _filter(tap.streams["purchase_invoices"]) == "Modified ge datetime'2024-01-01T01:00:00'"
    # no bookmark, no start_date: every row
    assert _filter(_tap().streams["purchase_invoices"]) is None


@pytest.mark.parametrize("date_header", ["Wed, 03 Jul 2024 10:00:00 GMT",
                                         "Wed, 03 Jul 2024 10:00:00 -0000",
                                         "Wed, 03 Jul 2024 12:00:00 +0200"])
def test_the_cap_is_the_first_pages_date_in_any_zone(date_header: str) -> None:
    stream = _tap().streams["purchase_invoices"]
    context = _first_page(stream, date_header)
    later = requests.Response()  # the second page, served ten minutes later
    later.status_code = 200
    later._content = b'{"d":{"results":[]}}'
    later.headers["Date"] = "Wed, 03 Jul 2024 10:10:00 GMT"
    later.request = requests.Request(
        "GET", f"https://start.exactonline.co.uk/api/v1/{DIVISION}/x").prepare()
    stream.validate_response(later)
    state = _bookmark(stream, context, "2024-07-03T10:05:00+00:00")
    assert state["replication_key_value"] == "2024-07-03T09:55:00+00:00"
