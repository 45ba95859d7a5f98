"""Replay: every real recorded Exact response in tests/fixtures/exact against the sandbox.

For each recorded response the sandbox serves the same endpoint the same way; the test holds
the envelope (``{"d":{"results":[…]}}``, ``{"d":{…}}``, ``{"d":[…]}``, ``__next``), the keys of
every row (each recorded field exists in the sandbox row) and the kind of every value (null,
boolean, number, ``/Date(ms)/``, GUID, string, ``__deferred``, expanded ``results``) where both
sides have a value.

The sync and bulk endpoints the tap reads have no public recording; their recorded shapes are
derived from the real recordings as the fact sheet (§5-6) describes them (see the fixtures'
README): the recorded rows restricted to the sync/bulk entity's fields, ``Timestamp`` on sync
rows, ``__next`` ending in ``$skiptoken=<Timestamp>L`` (sync) or ``guid'<key>'`` (bulk); and
``factsheet_sync_Deleted_shape.json`` for sync/Deleted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from exactonline_sandbox import catalog
from tests.sandbox.data_support import DIV, Client, own_sandbox

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "exact"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATE = re.compile(r"^/Date\(-?\d+\)/$")

# fixture file -> (endpoint path under /api/v1/{division}/, query, by key?, envelope)
CASES = {
    "dotnet_crm_Accounts_collection_2013.json": ("crm/Accounts", {}, False, "results"),
    "dotnet_crm_Accounts_expanded_BankAccounts_2013.json": ("crm/Accounts", {}, False,
                                                            "results"),
    "dotnet_crm_Accounts_single_entity_2013.json": ("crm/Accounts", {}, True, "entity"),
    "dotnet_financial_GLAccounts_collection_2013.json": ("financial/GLAccounts", {}, False,
                                                         "results"),
    "dotnet_financial_GLAccounts_single_entity_2013.json": ("financial/GLAccounts", {}, True,
                                                            "entity"),
    "dotnet_salesinvoice_SalesInvoices_expanded_lines_2013.json": (
        "salesinvoice/SalesInvoices", {"$expand": "SalesInvoiceLines"}, False, "results"),
    "dotnet_salesinvoice_SalesInvoices_single_entity_2013.json": (
        "salesinvoice/SalesInvoices", {"$expand": "SalesInvoiceLines"}, True, "entity"),
    "picqer_logistics_Items_collection.json": ("logistics/Items", {}, False, "results"),
    "picqer_logistics_Items_top1_d_array.json": ("logistics/Items", {"$top": "1"}, False,
                                                 "array"),
    "ossobv_crm_Accounts_record_2014_wrapped.json": ("crm/Accounts", {}, False, "results"),
}


def kind(value: Any) -> str:
    """The JSON kind of a value as the replay compares it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        if DATE.match(value):
            return "date"
        return "guid" if GUID.match(value) else "string"
    if isinstance(value, dict):
        if "__deferred" in value:
            return "deferred"
        if "results" in value:
            return "expanded"
        return "metadata" if "type" in value else "object"
    return type(value).__name__


def compare_rows(recorded: dict[str, Any], served: dict[str, Any], where: str) -> None:
    missing = set(recorded) - set(served)
    assert not missing, f"{where}: sandbox lacks {sorted(missing)}"
    for name, value in recorded.items():
        if value is None or served[name] is None:
            continue
        if isinstance(value, str) and "..." in value:
            continue  # elided by the source
        assert kind(value) == kind(served[name]), (
            f"{where}.{name}: recorded {value!r} ({kind(value)}), served {served[name]!r}")
        if kind(value) == "expanded":
            assert value["results"], where
            assert served[name]["results"], f"{where}.{name}: nothing expanded"
            compare_rows(value["results"][0], served[name]["results"][0], f"{where}.{name}")
        if kind(value) == "metadata":
            assert set(served[name]) == {"uri", "type"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    for sb in own_sandbox(tmp_path_factory, seed=3, divisions=1, rows=4000):
        yield Client(sb)


def test_every_recorded_response_has_a_case() -> None:
    api_files = {p.name for p in FIXTURES.glob("*.json")
                 if p.name.startswith(("dotnet_", "picqer_", "ossobv_"))}
    assert api_files == set(CASES)
    shapes = {p.name for p in FIXTURES.glob("factsheet_*.json")}
    assert shapes == {source for _path, source in SHAPES if source.startswith("factsheet_")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_response_matches_the_sandbox(client: Client, name: str) -> None:
    recorded = json.loads((FIXTURES / name).read_text())
    path, query, by_key, shape = CASES[name]
    url = f"/api/v1/{DIV}/{path}"
    if by_key:
        listing = client.ok(url, {"$select": "ID" if "Invoice" not in path else "InvoiceID"})
        first = listing["d"]["results"][0]
        url += f"(guid'{first.get('ID') or first.get('InvoiceID')}')"
    served = client.ok(url, query)
    assert set(served) == set(recorded) == {"d"}
    if shape == "entity":
        assert isinstance(served["d"], dict)
        assert "results" not in served["d"]
        compare_rows(recorded["d"], served["d"], name)
        return
    if shape == "array":
        assert isinstance(recorded["d"], list)
        assert isinstance(served["d"], list)
        compare_rows(recorded["d"][0], served["d"][0], name)
        return
    assert isinstance(served["d"], dict)
    assert set(recorded["d"]) <= {"results", "__next"}
    assert "results" in served["d"]
    for row in recorded["d"]["results"]:
        compare_rows(row, served["d"]["results"][0], name)
    if "__next" in recorded["d"]:
        # Same shape of link: the collection URL plus $skiptoken=guid'<key of the last row>'.
        nxt = served["d"].get("__next") or client.ok(
            f"/api/v1/{DIV}/purchase/PurchaseInvoices")["d"]["__next"]
        assert re.search(r"\?\$skiptoken=guid'[0-9a-f-]{36}'$", nxt)
        assert re.search(r"\?\$skiptoken=guid'[0-9a-f-]{36}'$", recorded["d"]["__next"])


def test_me_matches_the_recorded_examples(client: Client) -> None:
    examples = json.loads((FIXTURES / "me_response_examples.json").read_text())
    for name, recorded in examples.items():
        row = recorded["d"]["results"][0]
        fields = [k for k in row if k != "__metadata"]
        served = client.ok("/api/v1/current/Me", {"$select": ",".join(fields)})
        assert len(served["d"]["results"]) == 1
        got = served["d"]["results"][0]
        assert set(got) == set(row) - {"__metadata"} | {"__metadata"}
        assert set(got["__metadata"]) == {"uri", "type"}
        compare_rows({k: row[k] for k in fields}, got, name)


def test_error_bodies_match_the_recorded_ones(client: Client) -> None:
    observed = json.loads((FIXTURES / "error_bodies_observed.json").read_text())
    forbidden = client.get("/api/v1/3999999/crm/Accounts")
    assert forbidden.json() == observed["rest_403_wrong_division_stub"]
    bad = client.get(f"/api/v1/{DIV}/crm/Accounts", {"$filter": "Name eq"})
    assert bad.json()["error"]["message"]["value"] in observed["rest_400_messages_seen"]
    bulk = client.get(f"/api/v1/{DIV}/bulk/Cashflow/Payments")
    assert bulk.json()["error"]["message"]["value"] in observed["rest_400_messages_seen"]
    assert set(bad.json()["error"]) == set(observed["rest_500_generic"]["error"])


# -- sync and bulk: recorded shapes -------------------------------------------------------------
# (endpoint, source fixture): the source's rows in the endpoint's recorded shape.
SHAPES = [
    ("sync/CRM/Accounts", "dotnet_crm_Accounts_collection_2013.json"),
    ("sync/CRM/Accounts", "ossobv_crm_Accounts_record_2014_wrapped.json"),
    ("sync/Financial/GLAccounts", "dotnet_financial_GLAccounts_collection_2013.json"),
    ("sync/Logistics/Items", "picqer_logistics_Items_collection.json"),
    ("sync/SalesInvoice/SalesInvoices",
     "dotnet_salesinvoice_SalesInvoices_expanded_lines_2013.json"),
    ("sync/Deleted", "factsheet_sync_Deleted_shape.json"),
    ("bulk/CRM/Accounts", "dotnet_crm_Accounts_collection_2013.json"),
    ("bulk/Financial/GLAccounts", "dotnet_financial_GLAccounts_collection_2013.json"),
]
SYNC_NEXT = re.compile(r"\$skiptoken=(\d+)L$")
BULK_NEXT = re.compile(r"\$skiptoken=guid'[0-9a-f-]{36}'$")


def recorded_shape(path: str, source: str) -> list[dict[str, Any]]:
    """The source's rows as ``path`` would send them (see the module docstring)."""
    fields = catalog.lookup(path).fields  # type: ignore[union-attr]
    body = json.loads((FIXTURES / source).read_text())["d"]
    rows = body if isinstance(body, list) else body.get("results", [body])
    shaped = []
    for row in rows:
        variants = [row]
        lines = row.get("SalesInvoiceLines")
        if path == "sync/SalesInvoice/SalesInvoices" and isinstance(lines, dict):
            variants = [{**row, "LineNumber": 0},
                        *({**row, **line} for line in lines["results"])]
        for variant in variants:
            plain = {k: v for k, v in variant.items()
                     if k in fields and not isinstance(v, dict)}
            if path.startswith("sync/"):
                plain.setdefault("Timestamp", 81632497)
            shaped.append(plain)
    return shaped


@pytest.mark.parametrize(("path", "source"), SHAPES, ids=[f"{p}<-{s}" for p, s in SHAPES])
def test_sync_and_bulk_endpoints_serve_the_recorded_shape(client: Client, path: str,
                                                          source: str) -> None:
    recorded = recorded_shape(path, source)
    assert recorded
    sent = sorted({k for row in recorded for k in row})
    fields = catalog.lookup(path).fields  # type: ignore[union-attr]
    assert len(sent) >= 0.9 * len([f for f in fields if not f.startswith("__")]) or (
        len(sent) >= 30), "the recording covers too little of the entity to replay"
    query = {"$select": ",".join(sent)}
    if path.startswith("sync/"):
        query["$filter"] = "Timestamp gt 1L"
    served = client.ok(f"/api/v1/{DIV}/{path}", query)
    assert set(served) == {"d"}
    assert isinstance(served["d"], dict)
    assert isinstance(served["d"]["results"], list)
    assert served["d"]["results"], path
    assert set(served["d"]) <= {"results", "__next"}
    for row in recorded:
        compare_rows(row, served["d"]["results"][0], f"{path}<-{source}")
    if path.startswith("sync/"):  # Timestamp: an Int64 rowversion as a JSON number
        assert all(isinstance(r["Timestamp"], int) for r in served["d"]["results"])


def test_sync_and_bulk_next_links_have_the_documented_skiptokens(client: Client) -> None:
    """The fact sheet's shapes (§5-6): sync pages end in ``$skiptoken=<last Timestamp>L``, bulk
    pages in ``$skiptoken=guid'<last key>'``, both repeating the query, 1000 rows a page."""
    recorded = json.loads((FIXTURES / "factsheet_sync_Deleted_shape.json").read_text())
    assert SYNC_NEXT.search(recorded["d"]["__next"])
    sync = client.ok(f"/api/v1/{DIV}/sync/Financial/TransactionLines",
                     {"$select": "ID,Timestamp", "$filter": "Timestamp gt 1L"})["d"]
    assert len(sync["results"]) == 1000
    match = SYNC_NEXT.search(sync["__next"])
    assert match
    assert int(match.group(1)) == sync["results"][-1]["Timestamp"]
    assert "$filter=Timestamp gt 1L" in unquote_plus(sync["__next"])
    bulk = client.ok(f"/api/v1/{DIV}/bulk/Financial/TransactionLines", {"$select": "ID"})["d"]
    assert len(bulk["results"]) == 1000
    assert BULK_NEXT.search(bulk["__next"])
    assert bulk["__next"].endswith(f"guid'{bulk['results'][-1]['ID']}'")
