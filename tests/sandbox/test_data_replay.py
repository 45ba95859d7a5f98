"""Replay: every real recorded Exact response in tests/fixtures/exact against the sandbox.

For each recorded response the sandbox serves the same endpoint the same way; the test holds
the envelope (``{"d":{"results":[…]}}``, ``{"d":{…}}``, ``{"d":[…]}``, ``__next``), the keys of
every row (each recorded field exists in the sandbox row) and the kind of every value (null,
boolean, number, ``/Date(ms)/``, GUID, string, ``__deferred``, expanded ``results``) where both
sides have a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
