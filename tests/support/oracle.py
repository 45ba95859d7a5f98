"""The independent oracle: what the tap must emit, from the sandbox's canonical rows.

``GET /_sandbox/truth/{division}/{stream}?form=canonical`` gives every row as typed values read
from the sandbox's database (calendar dates ``2024-06-01``, moments ``…T10:00:00.123Z`` in UTC,
amounts as decimal strings), never through the OData rendering the tap parses. Nothing here
imports the tap: the expected records follow the public contract (README, DESIGN.md "Records")
and Exact's reference data, so a bug in the tap's conversion, its moment-field table or its
EntityType table shows up as a difference instead of being copied into the expectation.

The contract applied to a canonical row:

* every Exact field as is, plus ``Division`` (the row's own, else the division read; for
  ``divisions`` its ``Code``);
* calendar dates as ``YYYY-MM-DDT00:00:00+00:00``, moments as UTC instants;
* ``deleted``: ``stream_name`` = the stream whose sync endpoint is the entity Exact's
  ``EntityType`` code names (``exact_sync_bulk_endpoints.json``), null for other codes;
* lines read through their entries (``sales_entry_lines``, ``purchase_entry_lines``):
  ``EntryModified`` = the entry's ``Modified``;
* every stream but ``deleted`` (deletions arrive as tombstones: from ``sync/Deleted``, from
  delete detection, or from comparing full-table reads; issue #16): ``_sdc_deleted_at`` null
  on every row (DESIGN.md "Records": a deletion is a tombstone record with it set).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import requests

from exactonline_sandbox import catalog

UTC = dt.timezone.utc
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MOMENT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DECIMAL_RE = re.compile(r"^-?\d+\.\d+$")
#: Lines without a Modified field of their own, and the entries stream they come with.
ENTRY_OF_LINES = {"sales_entry_lines": "sales_entries",
                  "purchase_entry_lines": "purchase_entries"}


def canonical(sandbox: Any, division: int, stream: str) -> list[dict[str, Any]]:
    """``/_sandbox/truth/{division}/{stream}?form=canonical`` (raises on a non-200 answer)."""
    resp = requests.get(f"{sandbox.url}/_sandbox/truth/{division}/{stream}",
                        params={"form": "canonical"}, timeout=120)
    resp.raise_for_status()
    body = resp.json()
    assert body.get("form") == "canonical", body
    return list(body["records"])


def stream_key(stream: str) -> str:
    """The entity key of a stream's records (README "Streams": ``Division`` + this)."""
    return catalog.BY_STREAM[stream].key


@lru_cache(maxsize=1)
def stream_of_entity_type() -> dict[int, str]:
    """sync/Deleted EntityType code -> stream, from Exact's reference list of codes."""
    from tap_exactonline.reference import sync_bulk_endpoints

    names = sync_bulk_endpoints()["deleted_entity_types"]
    by_entity = {ep.path.rsplit("/", 1)[-1]: stream for stream, ep in catalog.BY_STREAM.items()
                 if ep.family == "sync" and stream != "deleted"}
    return {int(code): by_entity[name] for code, name in names.items() if name in by_entity}


def expected_records(sandbox: Any, division: int, stream: str) -> list[dict[str, Any]]:
    """The records the tap must emit for ``stream`` and ``division``, in canonical values."""
    rows = canonical(sandbox, division, stream)
    entry_modified: dict[str, Any] = {}
    if stream in ENTRY_OF_LINES:
        entry_modified = {e["EntryID"]: e["Modified"]
                          for e in canonical(sandbox, division, ENTRY_OF_LINES[stream])}
    out = []
    for row in rows:
        record = dict(row)
        if record.get("Division") is None:
            record["Division"] = record["Code"] if stream == "divisions" else division
        if stream == "deleted":
            record["stream_name"] = stream_of_entity_type().get(record["EntityType"])
        if stream in ENTRY_OF_LINES:
            record["EntryModified"] = entry_modified.get(record["EntryID"])
        if stream != "deleted":
            record["_sdc_deleted_at"] = None
        out.append(record)
    return out


def expected_by_key(sandbox: Any, divisions: list[int], stream: str
                    ) -> dict[tuple[int, Any], dict[str, Any]]:
    """:func:`expected_records` of every division keyed by (Division, key); ``divisions`` is
    read once (it lists every division)."""
    key = stream_key(stream)
    out: dict[tuple[int, Any], dict[str, Any]] = {}
    for division in divisions[:1] if stream == "divisions" else divisions:
        for record in expected_records(sandbox, division, stream):
            out[(int(record["Division"]), _key(record[key]))] = record
    return out


def _key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def key_of(stream: str, record: dict[str, Any]) -> tuple[int, Any]:
    """(Division, key) of an emitted record or a warehouse row (keys compared lowercase)."""
    key = stream_key(stream)
    division = record.get("Division", record.get("division"))
    value = record.get(key, record.get(key.lower()))
    return int(division), _key(value)


def _instant(value: Any) -> dt.datetime | None:
    """An emitted or stored date-time as an aware UTC datetime (naive ones are UTC)."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def same(want: Any, got: Any) -> bool:
    """Whether an emitted (or stored) value means the canonical value ``want``.

    Calendar dates must arrive as midnight UTC of that date, moments as the same instant,
    decimal strings as the same number (exactly for Decimal and JSON text, to 1e-12 for a
    warehouse's DOUBLE), booleans and integers as themselves, strings unchanged.
    """
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, bool):
        return isinstance(got, bool | int) and bool(got) == want
    if isinstance(want, int):
        return not isinstance(got, bool) and isinstance(got, int | Decimal) and got == want
    if isinstance(want, str) and DATE_RE.match(want):
        return _instant(got) == dt.datetime.fromisoformat(want).replace(tzinfo=UTC)
    if isinstance(want, str) and MOMENT_RE.match(want):
        return _instant(got) == _instant(want)
    if isinstance(want, str) and DECIMAL_RE.match(want) and not isinstance(got, str):
        if isinstance(got, float):
            return math.isclose(got, float(want), rel_tol=1e-12, abs_tol=1e-9)
        try:
            return Decimal(str(got)) == Decimal(want)
        except InvalidOperation:
            return False
    return got == want


def differences(stream: str, expected: dict[tuple[int, Any], dict[str, Any]],
                actual: dict[tuple[int, Any], dict[str, Any]], *, lower: bool = False,
                exact_fields: bool = False, allowed_extra: set[tuple[int, Any]] | None = None,
                limit: int = 5) -> list[str]:
    """Lines describing how ``actual`` differs from ``expected`` (both keyed by key_of).

    Args:
        lower: Look fields up lower-cased in ``actual`` (warehouse columns).
        exact_fields: The actual records must have exactly the expected fields (the tap's own
            output); otherwise extra columns (audit, ``_sdc_*``) are allowed.
        allowed_extra: Keys that may be in ``actual`` only (rows deleted since they loaded).
    """
    out: list[str] = []
    missing = sorted(set(expected) - set(actual), key=str)
    extra = sorted(set(actual) - set(expected) - (allowed_extra or set()), key=str)
    if missing:
        out.append(f"{stream}: {len(missing)} rows missing, e.g. {missing[:3]}")
    if extra:
        out.append(f"{stream}: {len(extra)} unexpected rows, e.g. {extra[:3]}")
    wrong: list[str] = []
    for key in sorted(set(expected) & set(actual), key=str):
        record, row = expected[key], actual[key]
        if exact_fields and set(row) != set(record):
            wrong.append(f"{key}: fields {sorted(set(row) ^ set(record))} differ")
        for name, want in record.items():
            got = row.get(name.lower()) if lower else row.get(name)
            if not same(want, got):
                wrong.append(f"{key} {name}: expected {want!r}, got {got!r}")
    if wrong:
        out.append(f"{stream}: {len(wrong)} values differ, e.g. " + "; ".join(wrong[:limit]))
    return out
