"""Record conversion without a server: real recorded Exact responses and the date rule."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import jsonschema
import pytest

from exactonline_sandbox import canonical, catalog
from tap_exactonline import odata
from tap_exactonline.streamtable import CATALOG, SCHEMAS_DIR

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "exact"

# Every fixture holding entity rows -> the stream whose schema its rows must satisfy.
ENTITY_FIXTURES = {
    "dotnet_crm_Accounts_collection_2013.json": "accounts",
    "dotnet_crm_Accounts_expanded_BankAccounts_2013.json": "accounts",
    "dotnet_crm_Accounts_single_entity_2013.json": "accounts",
    "ossobv_crm_Accounts_record_2014_wrapped.json": "accounts",
    "dotnet_financial_GLAccounts_collection_2013.json": "gl_accounts",
    "dotnet_financial_GLAccounts_single_entity_2013.json": "gl_accounts",
    "dotnet_salesinvoice_SalesInvoices_expanded_lines_2013.json": "sales_invoices",
    "dotnet_salesinvoice_SalesInvoices_single_entity_2013.json": "sales_invoices",
    "picqer_logistics_Items_collection.json": "items",
    "picqer_logistics_Items_top1_d_array.json": "items",
    "factsheet_sync_Deleted_shape.json": "deleted",
}


def _schema(stream: str) -> dict:
    return json.loads((SCHEMAS_DIR / f"{stream}.json").read_text())


def _plan(stream: str):
    props = _schema(stream)["properties"]
    return odata.build_plan(props, list(props))


def _ms(wall: dt.datetime) -> str:
    """/Date(ms)/ of an Amsterdam wall-clock time written as if UTC (Exact's encoding)."""
    return f"/Date({int(wall.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)})/"


def _check_formats(record: dict, schema: dict) -> None:
    for name, prop in schema["properties"].items():
        value = record.get(name)
        if value is None:
            continue
        if prop.get("format") == "date-time":
            parsed = dt.datetime.fromisoformat(value)
            assert parsed.utcoffset() == dt.timedelta(0), (name, value)
        if prop.get("format") == "uuid" and "..." not in value:  # ossobv redacted values
            uuid.UUID(value)


def test_every_entity_fixture_is_mapped() -> None:
    """A new recorded response in fixtures/ must be mapped here (or it is not a stream's)."""
    not_entities = {
        "error_bodies_observed.json",
        "me_response_examples.json",
        "token_response_exact_docs.json",
        "webhook_notification_BankEntries_NL_2023.json",
        "webhook_notification_SalesOrders_BE_2020.json",
        "webhook_subscription_POST_response_BE_2019.json",
    }
    found = {p.name for p in FIXTURES.glob("*.json")}
    assert found - not_entities == set(ENTITY_FIXTURES)


@pytest.mark.parametrize(("fixture", "stream"), sorted(ENTITY_FIXTURES.items()))
def test_recorded_response_converts_and_validates(fixture: str, stream: str) -> None:
    rows, _ = odata.unwrap(odata.decode_json((FIXTURES / fixture).read_bytes()))
    assert rows
    schema = _schema(stream)
    validator = jsonschema.Draft7Validator(schema)
    plan = _plan(stream)
    for row in rows:
        record = odata.convert_record(row, plan)
        errors = [f"{e.path}: {e.message}" for e in validator.iter_errors(record)]
        assert not errors, errors[:5]
        _check_formats(record, schema)
        assert "__metadata" not in record
        # The fixture really is this stream's entity: nearly all its plain fields are known.
        plain = [k for k, v in row.items() if k != "__metadata" and not isinstance(v, dict)]
        known = [k for k in plain if k in schema["properties"]]
        assert len(known) >= 0.9 * len(plain), sorted(set(plain) - set(known))
        # every plain value that is not a date passes through unchanged (strings, codes with
        # their padding, GUIDs, numbers, booleans, nulls)
        for name in known:
            if schema["properties"][name].get("format") != "date-time":
                assert record[name] == row[name], name


def test_amounts_are_exact_decimals() -> None:
    payload = odata.decode_json(b'{"d":{"results":[{"AmountDC": 0.1, "Quantity": 3}]}}')
    rows, next_url = odata.unwrap(payload)
    assert next_url is None
    assert rows[0]["AmountDC"] == decimal.Decimal("0.1")
    assert isinstance(rows[0]["AmountDC"], decimal.Decimal)
    assert rows[0]["Quantity"] == 3


def test_envelopes() -> None:
    assert odata.unwrap({"d": [{"a": 1}]}) == ([{"a": 1}], None)
    assert odata.unwrap({"d": {"a": 1}}) == ([{"a": 1}], None)
    assert odata.unwrap({"d": {"results": [], "__next": "u"}}) == ([], "u")
    with pytest.raises(ValueError, match="no 'd' member"):
        odata.unwrap({"error": {}})


@pytest.mark.parametrize(
    ("wall", "utc"),
    [
        # winter (CET, +01:00) and summer (CEST, +02:00)
        (dt.datetime(2024, 1, 15, 12, 0), "2024-01-15T11:00:00+00:00"),
        (dt.datetime(2024, 7, 1, 12, 0), "2024-07-01T10:00:00+00:00"),
        # spring forward 2024-03-31 02:00 -> 03:00
        (dt.datetime(2024, 3, 31, 1, 59, 59), "2024-03-31T00:59:59+00:00"),
        (dt.datetime(2024, 3, 31, 3, 0, 0), "2024-03-31T01:00:00+00:00"),
        # fall back 2024-10-27 03:00 -> 02:00: the repeated hour is read as summer time
        (dt.datetime(2024, 10, 27, 1, 30), "2024-10-26T23:30:00+00:00"),
        (dt.datetime(2024, 10, 27, 2, 30), "2024-10-27T00:30:00+00:00"),
        (dt.datetime(2024, 10, 27, 3, 30), "2024-10-27T02:30:00+00:00"),
        # midnight of a summer day is the previous day in UTC: moments move, dates do not
        (dt.datetime(2024, 6, 1, 0, 0), "2024-05-31T22:00:00+00:00"),
    ],
)
def test_moment_fields_become_true_utc(wall: dt.datetime, utc: str) -> None:
    assert odata.moment_to_utc(_ms(wall)) == utc
    # and the bookmark filter goes back to Exact's local wall time (outside the repeated hour)
    if wall != dt.datetime(2024, 10, 27, 2, 30):
        assert odata.amsterdam_filter_datetime(utc) == f"datetime'{wall.isoformat()}'"


def test_filter_in_the_repeated_autumn_hour_never_skips_rows() -> None:
    # 00:30Z is 02:30 summer time; 01:30Z is 02:30 winter time: the same wall time.
    first = odata.amsterdam_filter_datetime("2024-10-27T00:30:00+00:00")
    second = odata.amsterdam_filter_datetime("2024-10-27T01:30:00+00:00")
    assert first == "datetime'2024-10-27T01:30:00'"  # an hour early: read either way, <= 00:30Z
    assert second == "datetime'2024-10-27T02:30:00'"  # either reading is <= 01:30Z
    assert odata.amsterdam_filter_datetime("2024-07-01T10:00:00.987+00:00") == (
        "datetime'2024-07-01T12:00:00'"
    )


def test_calendar_dates_keep_their_date_across_dst() -> None:
    props = _schema("sales_invoices")["properties"]
    plan = odata.build_plan(props, ["InvoiceDate", "DueDate", "Created", "Modified"])
    row = {
        "InvoiceDate": _ms(dt.datetime(2024, 6, 1)),
        "DueDate": _ms(dt.datetime(2024, 3, 31)),
        "Created": _ms(dt.datetime(2024, 6, 1)),
        "Modified": _ms(dt.datetime(2024, 12, 1, 0, 30)),
    }
    record = odata.convert_record(row, plan)
    assert record == {
        "InvoiceDate": "2024-06-01T00:00:00+00:00",
        "DueDate": "2024-03-31T00:00:00+00:00",
        "Created": "2024-05-31T22:00:00+00:00",
        "Modified": "2024-11-30T23:30:00+00:00",
    }


def test_date_classification_table() -> None:
    for moment in ("Created", "Modified", "DeletedDate", "StartTime", "EndTime", "Approved"):
        assert odata.is_moment_field(moment), moment
    for date in ("InvoiceDate", "DueDate", "Date", "OrderDate", "EntryDate", "ReportingDate"):
        assert not odata.is_moment_field(date), date


def test_every_date_field_is_a_moment_exactly_when_the_sandbox_stores_a_moment() -> None:
    """The moment-field table against an independent source: the sandbox's column types.

    Every Edm.DateTime field of every stream's schema that the sandbox fills is declared there
    ``DATE`` or ``DATETIME`` (:mod:`exactonline_sandbox.canonical`), not derived from the
    tap's table; a field dropped from ``MOMENT_FIELDS`` would emit a moment as a date.
    """
    wrong, moments = [], set()
    for spec in CATALOG:
        endpoint = catalog.lookup(spec.endpoint)
        assert endpoint is not None, spec.endpoint
        if spec.expand:
            target = catalog.navigation_target(endpoint, spec.expand)
            assert target is not None, (spec.name, spec.expand)
            endpoint = target[0]
        for name, prop in _schema(spec.name)["properties"].items():
            kind = canonical.date_kind(endpoint, name) if prop.get("format") == "date-time" \
                else None
            if kind is None:  # not a date, or a field the tap adds (EntryModified)
                continue
            if kind == canonical.MOMENT:
                moments.add(name)
            if odata.is_moment_field(name) != (kind == canonical.MOMENT):
                wrong.append(f"{spec.name}.{name} is a {kind} in the sandbox")
    assert not wrong
    assert {"Created", "Modified", "DeletedDate", "DivisionMoveDate", "DivisionHRLinkUnlinkDate",
            "PaymentSelected", "ReceivableSelected", "StartTime", "EndTime"} <= moments


def test_min_value_dates_become_null_and_are_counted_per_field() -> None:
    """``/Date(-62135596800000)/`` (0001-01-01, Exact's "no date") -> None, counted for the
    run's warning; a real date and an absent one are not counted."""
    plan = odata.build_plan(_schema("sales_invoices")["properties"],
                            ["InvoiceDate", "DueDate", "Created", "Modified"])
    none = "/Date(-62135596800000)/"
    counts: dict[str, int] = {}
    rows = [{"InvoiceDate": none, "DueDate": None, "Created": none, "Modified": none},
            {"InvoiceDate": none, "DueDate": _ms(dt.datetime(2024, 6, 1)), "Created": none,
             "Modified": _ms(dt.datetime(2024, 6, 1, 12))}]
    records = [odata.convert_record(row, plan, counts) for row in rows]
    assert records[0] == dict.fromkeys(("InvoiceDate", "DueDate", "Created", "Modified"))
    assert records[1] == {"InvoiceDate": None, "DueDate": "2024-06-01T00:00:00+00:00",
                          "Created": None, "Modified": "2024-06-01T10:00:00+00:00"}
    assert counts == {"InvoiceDate": 2, "Created": 2, "Modified": 1}
    assert odata.convert_record(rows[0], plan) == records[0]  # counting is optional
    # one millisecond later is a real (if odd) date, not "no date"
    assert odata.convert_record({"InvoiceDate": "/Date(-62135596799999)/"}, plan)[
        "InvoiceDate"] == "0001-01-01T00:00:00+00:00"


def test_a_value_that_is_not_a_date_names_its_field_in_one_line() -> None:
    plan = odata.build_plan(_schema("sales_invoices")["properties"], ["InvoiceDate"])
    garbage = "not a date " * 10
    with pytest.raises(odata.BadValue) as caught:
        odata.convert_record({"InvoiceDate": garbage}, plan)
    assert str(caught.value) == ("field InvoiceDate: not a /Date(ms)/ value nor an ISO-8601 "
                                 f"date ({garbage!r:.77}...)")
    assert (caught.value.field, caught.value.value) == ("InvoiceDate", garbage)
    with pytest.raises(odata.BadValue) as caught:
        odata.convert_record({"InvoiceDate": 20240601}, plan)
    assert str(caught.value) == ("field InvoiceDate: a date must be a /Date(ms)/ string, not "
                                 "int (20240601)")
    with pytest.raises(odata.BadValue) as caught:
        odata.convert_record({"InvoiceDate": "/Date(99999999999999999)/"}, plan)
    assert str(caught.value) == ("field InvoiceDate: not a /Date(ms)/ value a calendar can "
                                 "hold ('/Date(99999999999999999)/')")
    # the value is shown whole up to 80 characters of its repr, cut to 80 beyond
    for length, shown in ((78, f"'{'x' * 78}'"), (79, f"'{'x' * 76}...")):
        with pytest.raises(odata.BadValue) as caught:
            odata.convert_record({"InvoiceDate": "x" * length}, plan)
        assert str(caught.value).endswith(f"date ({shown})"), length
    # an ISO-8601 value (as some endpoints send) is kept as it is
    assert odata.convert_record({"InvoiceDate": "2024-06-01T00:00:00Z"}, plan) == {
        "InvoiceDate": "2024-06-01T00:00:00Z"}
    for half in ("/Date(1719835200000", "1719835200000)/"):
        with pytest.raises(ValueError, match=r"^not an OData /Date"):
            odata.wall_clock(half)


def test_filter_literals() -> None:
    """The literals of the tap's ``$filter`` (sync Timestamp, GUID keys, Modified)."""
    assert odata.int64_literal(12345678901) == "12345678901L"
    assert odata.guid_literal("8f1a2b3c-0000-4000-8000-000000000001") == (
        "guid'8f1a2b3c-0000-4000-8000-000000000001'")
    # a bookmark written with Z, or naive (read as UTC), is the same moment
    for moment in ("2024-07-01T10:00:00Z", "2024-07-01T10:00:00",
                   dt.datetime(2024, 7, 1, 10, 0), dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC)):
        assert odata.amsterdam_filter_datetime(moment) == "datetime'2024-07-01T12:00:00'", moment
    # an aware moment in another zone keeps its instant
    assert odata.amsterdam_filter_datetime("2024-07-01T12:00:00+02:00") == (
        "datetime'2024-07-01T12:00:00'")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"error": {}}, "response is not an OData envelope (no 'd' member)"),
        ({"d": {"results": None}}, "'d.results' is NoneType, not a list of rows"),
        ({"d": {"results": [], "__next": ""}}, "'d.__next' is '', not a URL"),
        ({"d": {"results": [], "__next": "  "}}, "'d.__next' is '  ', not a URL"),
        ({"d": {"results": [], "__next": 5}}, "'d.__next' is 5, not a URL"),
        ({"d": "x"}, "response 'd' member is neither a list nor an object"),
        ({"d": {"results": [1]}}, "a row of 'd.results' is int, not an object"),
        ({"d": [None]}, "a row of 'd.results' is NoneType, not an object"),
    ],
)
def test_a_response_that_is_not_an_envelope_is_refused_in_one_line(payload: dict,
                                                                    message: str) -> None:
    with pytest.raises(ValueError, match=r"^[\w'(]") as caught:
        odata.unwrap(payload)
    assert str(caught.value) == message


def test_record_drops_metadata_and_navigation() -> None:
    props = _schema("accounts")["properties"]
    plan = odata.build_plan(props, ["ID", "Name", "Division"])
    row = {
        "__metadata": {"uri": "x", "type": "Exact.Web.Api.Models.Account"},
        "ID": "8f1a2b3c-0000-4000-8000-000000000001",
        "Name": "Acme",
        "Division": 3100001,
        "BankAccounts": {"__deferred": {"uri": "x/BankAccounts"}},
    }
    assert odata.convert_record(row, plan) == {
        "ID": "8f1a2b3c-0000-4000-8000-000000000001",
        "Name": "Acme",
        "Division": 3100001,
    }


def test_error_envelope_message_is_one_line() -> None:
    body = {"error": {"code": "", "message": {"lang": "", "value": "Bad\r\nRequest  x"}}}
    assert odata.error_message(body) == "Bad Request x"


def test_schemas_match_the_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "generate_schemas.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_stream_has_a_schema_with_its_keys() -> None:
    for spec in CATALOG:
        props = _schema(spec.name)["properties"]
        assert "Division" in props
        assert spec.key in props
        if spec.family == "sync":
            assert props["Timestamp"]["type"] == ["integer", "null"]
        if spec.family == "modified":
            key = "EntryModified" if spec.expand else "Modified"
            assert props[key]["format"] == "date-time"


def test_first_page_urls_stay_under_exacts_6000_characters() -> None:
    """Fact sheet §4: URL <= 6000 characters; $select lists every field of wide entities."""
    from tap_exactonline.api import odata_query
    from tap_exactonline.tap import TapExactOnline

    tap = TapExactOnline(
        config={"client_id": "x", "client_secret": "y", "divisions": [3100001],
                "region": "uk"},
        parse_env_config=False,
    )
    for stream in tap.streams.values():
        options = {"$select": stream.select_list,
                   "$filter": "Modified ge datetime'2024-10-27T01:30:00'"}
        if getattr(stream.spec, "expand", None):
            options["$expand"] = stream.spec.expand
        url = f"{stream.get_url({'Division': 3100001})}?{odata_query(options)}"
        assert url.startswith("https://start.exactonline.co.uk/api/v1/3100001/")
        assert len(url) <= 6000, (stream.name, len(url))
        assert "*" not in stream.select_list
        assert "__metadata" not in stream.select_list


def test_date_values_with_an_offset_suffix_are_read_as_the_same_wall_clock() -> None:
    """``/Date(ms+hhmm)/`` (the WCF form with an offset) carries the same wall-clock ms."""
    assert odata.wall_clock("/Date(1382667869110+0100)/") == odata.wall_clock(
        "/Date(1382667869110)/")
    assert odata.wall_clock("/Date(1382667869110-0100)/") == odata.wall_clock(
        "/Date(1382667869110)/")
    assert odata.wall_clock("/Date(5+0100)/") == dt.datetime(1970, 1, 1, 0, 0, 0, 5000)
    assert odata.wall_clock("/Date(-86400000-0100)/") == dt.datetime(1969, 12, 31)
    with pytest.raises(ValueError, match="not an OData"):
        odata.wall_clock("2024-06-01T00:00:00")


def test_conversion_does_not_depend_on_the_machine_time_zone() -> None:
    """The same UTC on a host in New York as on this one (CI runs in UTC)."""
    code = ("from tap_exactonline import odata; "
            "print(odata.moment_to_utc('/Date(1719835200000)/'), "
            "odata.calendar_date('/Date(1719792000000)/'), "
            "odata.amsterdam_filter_datetime('2024-07-01T10:00:00+00:00'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "TZ": "America/New_York"}).stdout
    assert out.split() == ["2024-07-01T10:00:00+00:00", "2024-07-01T00:00:00+00:00",
                           "datetime'2024-07-01T12:00:00'"]
