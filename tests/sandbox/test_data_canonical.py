"""The canonical truth (``/_sandbox/truth/…?form=canonical``): the oracle of the tap tests.

It must agree with what the API sends (else a tap test could not tell who is wrong), be typed
as documented, and cover what a client converts specially: every Edm.DateTime field of every
stream is filled for some rows (a calendar date or a moment, never a date-time in between),
amounts have cents, GUIDs are lowercase and account codes keep Exact's 18-character padding.
The Amsterdam wall clock of a moment is computed here with zoneinfo, a third implementation
next to the sandbox's offset table and the tap's converter.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from exactonline_sandbox import catalog
from tests.support.oracle import DATE_RE, DECIMAL_RE, MOMENT_RE, canonical
from tests.support.sandbox import SandboxProcess

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STREAMS = sorted(catalog.BY_STREAM)
DIVISIONS = (3100001, 3100018)


def odata_truth(sandbox: SandboxProcess, division: int, stream: str) -> list[dict[str, Any]]:
    """The default form, with JSON numbers as Decimal (as written, not as binary floats)."""
    resp = requests.get(f"{sandbox.url}/_sandbox/truth/{division}/{stream}", timeout=120)
    resp.raise_for_status()
    body = json.loads(resp.text, parse_float=Decimal)
    assert set(body) == {"records"}  # the public contract of the default form
    return list(body["records"])


def wall_ms(value: str) -> int:
    """The /Date(ms)/ Exact writes for a canonical date or moment (Amsterdam wall clock)."""
    if DATE_RE.match(value):
        day = dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)
        return int(day.timestamp() * 1000)
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    local = moment.astimezone(AMSTERDAM).replace(tzinfo=dt.timezone.utc)
    return int(local.timestamp() * 1000)


def agrees(edm: str, canonical_value: Any, served: Any) -> bool:
    """Whether the API's JSON value is the canonical value rendered the OData way."""
    if edm == "Edm.DateTime":
        if canonical_value is None:
            return served is None
        return served == f"/Date({wall_ms(canonical_value)})/"
    if edm == "Edm.Double" and canonical_value is not None:
        return isinstance(served, Decimal | int) and Decimal(canonical_value) == served
    return served == canonical_value


@pytest.mark.parametrize("stream", STREAMS)
def test_canonical_rows_are_the_api_rows_typed(sandbox: SandboxProcess, stream: str) -> None:
    ep = catalog.BY_STREAM[stream]
    for division in DIVISIONS:
        typed = canonical(sandbox, division, stream)
        served = odata_truth(sandbox, division, stream)
        assert len(typed) == len(served) > 0, stream
        wrong = []
        for row, api_row in zip(typed, served, strict=True):
            assert set(row) == {f for f, e in ep.fields.items() if e.startswith("Edm.")}, stream
            for field, value in row.items():
                if not agrees(ep.fields[field], value, api_row.get(field)):
                    wrong.append(f"{field}: canonical {value!r}, API {api_row.get(field)!r}")
        assert not wrong, f"{stream}/{division}: {len(wrong)} values differ, e.g. {wrong[:5]}"


def _all_rows(sandbox: SandboxProcess, stream: str) -> list[dict[str, Any]]:
    return [r for d in DIVISIONS for r in canonical(sandbox, d, stream)]


@pytest.mark.parametrize("stream", STREAMS)
def test_every_date_field_is_filled_for_some_rows(sandbox: SandboxProcess, stream: str) -> None:
    """So a wrong moment/calendar-date classification in a client changes some value."""
    ep = catalog.BY_STREAM[stream]
    rows = _all_rows(sandbox, stream)
    dates = [f for f, e in ep.fields.items() if e == "Edm.DateTime"]
    empty = [f for f in dates if all(r[f] is None for r in rows)]
    assert not empty, f"{stream}: never filled: {empty}"
    for field in dates:
        values = {r[field] for r in rows if r[field] is not None}
        kinds = {bool(DATE_RE.match(v)) for v in values}
        assert kinds in ({True}, {False}), f"{stream}.{field}: dates and moments mixed"
        assert all(DATE_RE.match(v) or MOMENT_RE.match(v) for v in values), (stream, field)


@pytest.mark.parametrize("stream", STREAMS)
def test_amounts_have_cents_guids_are_lowercase(sandbox: SandboxProcess, stream: str) -> None:
    ep = catalog.BY_STREAM[stream]
    rows = _all_rows(sandbox, stream)
    amounts = [f for f, e in ep.fields.items() if e == "Edm.Double" and "Amount" in f]
    if amounts:
        fractional = {f for f in amounts for r in rows
                      if r[f] is not None and DECIMAL_RE.match(r[f]) and not r[f].endswith(".0")}
        assert fractional, f"{stream}: no amount with cents in {amounts}"
    guids = [f for f, e in ep.fields.items() if e == "Edm.Guid"]
    assert all(r[f] == r[f].lower() for f in guids for r in rows if r[f]), stream
    if stream == "accounts":
        assert all(len(r["Code"]) == 18 and r["Code"] != r["Code"].strip() for r in rows)


def test_unknown_form_is_a_400_with_one_line(sandbox: SandboxProcess) -> None:
    resp = requests.get(f"{sandbox.url}/_sandbox/truth/{DIVISIONS[0]}/accounts",
                        params={"form": "xml"}, timeout=30)
    assert resp.status_code == 400
    assert "canonical" in resp.json()["error"]


def test_the_kind_of_a_date_comes_from_the_declared_columns() -> None:
    """A new endpoint gets its canonical form for free, or a clear error: never a guess."""
    from exactonline_sandbox.canonical import CanonicalError, date_kind
    from exactonline_sandbox.catalog import Endpoint
    from exactonline_sandbox.views import View

    view = View(table="account", fields={
        "Created": "t.Created", "StartDate": "t.StartDate + 86400000",
        "Modified": "t.Created + t.StartDate", "EndDate": "1704067200000",
        "ControlledDate": "NULL"})
    ep = Endpoint("sync/CRM/Accounts", "sync_CRM_Accounts", "sync", view, "ID", "T")
    assert date_kind(ep, "Created") == "moment"
    assert date_kind(ep, "StartDate") == "date"
    assert date_kind(ep, "ControlledDate") is None
    for mixed_or_unknown in ("Modified", "EndDate"):
        with pytest.raises(CanonicalError, match="DATE or DATETIME"):
            date_kind(ep, mixed_or_unknown)
