"""Every endpoint of the reference answers; the generic ones behave like Exact's (over HTTP).

Specific endpoints (views over the ledger) win over generic ones; generic rows are
deterministic and tied to the division's master data; query options work on them as on the
specific ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from exactonline_sandbox import catalog
from tap_exactonline.reference import entities, sync_bulk_endpoints
from tests.sandbox.data_support import DIV, Client, own_sandbox


def _reference_paths() -> list[str]:
    paths = {entry["endpoint"] for name, entry in entities().items() if name != "_meta"}
    paths |= set(sync_bulk_endpoints()["sync_endpoints"])
    paths |= set(sync_bulk_endpoints()["bulk_endpoints"])
    return sorted(paths)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    for sb in own_sandbox(tmp_path_factory, seed=11, divisions=2, rows=4000):
        yield Client(sb)


def _generic(path: str) -> str:
    """``path`` if the generic layer serves it; a skip once a specific view took it over."""
    ep = catalog.lookup(path)
    assert ep is not None
    if not ep.generated:
        pytest.skip(f"{path} has a specific view now (it won over the generic layer)")
    return path


def _ids(client: Client, path: str, field: str = "ID") -> set[Any]:
    rows, _ = client.all_pages(f"/api/v1/{DIV}/{path}", {"$select": field})
    return {row[field] for row in rows}


def test_the_reference_lists_133_endpoints_and_every_one_is_served() -> None:
    paths = _reference_paths()
    # 121 from exact_entities.json and the sync/bulk lists, 12 from exact_entities_added.json
    assert len(paths) == 133
    for path in paths:
        if path in catalog.OWN_ROUTES:
            continue
        assert catalog.lookup(path) is not None, path


def test_a_specific_view_wins_over_the_generic_layer() -> None:
    """The generic layer never serves a path that has a specific endpoint."""
    generic = catalog.generic_endpoints()
    assert not set(generic) & set(catalog.BY_PATH)
    for ep in catalog.ENDPOINTS:
        assert catalog.lookup(ep.path) is ep
        assert catalog.lookup(ep.path.upper()) is ep  # Exact paths are case-insensitive
    for path, ep in generic.items():
        assert catalog.lookup(path) is ep
    assert not any(path in catalog.OWN_ROUTES for path in
                   (ep.path for ep in generic.values()))


@pytest.mark.parametrize("path", [p for p in _reference_paths() if p not in catalog.OWN_ROUTES])
def test_every_endpoint_answers_with_every_reference_field(client: Client, path: str) -> None:
    ep = catalog.lookup(path)
    assert ep is not None
    select = {"$select": ",".join(ep.fields)}  # bulk and a few others insist on one
    body = client.ok(f"/api/v1/{DIV}/{path}", select)
    rows = body["d"]["results"]
    assert rows, path
    assert set(rows[0]) == {"__metadata", *ep.fields}
    # the row's own URI answers with the same row
    uri = rows[0]["__metadata"]["uri"]
    single = client.get(uri, select)
    assert single.status_code == 200, (uri, single.text[:300])
    assert single.json()["d"] == rows[0]


def test_unknown_endpoint_is_still_a_404_envelope(client: Client) -> None:
    resp = client.get(f"/api/v1/{DIV}/crm/NoSuchThing")
    assert resp.status_code == 404
    assert resp.json()["error"]["message"]["value"] == \
        "Resource not found for the segment 'NoSuchThing'."


def test_own_routes_answer(client: Client) -> None:
    assert client.ok("/api/v1/current/Me")["d"]["results"][0]["CurrentDivision"] == DIV
    assert client.ok(f"/api/v1/{DIV}/webhooks/WebhookSubscriptions")["d"]["results"] == []
    row = client.ok(f"/api/v1/{DIV}/read/sync/Sync/SyncTimestamp",
                    {"modified": "datetime'2024-06-01'", "endPoint": "'TransactionLines'"})
    assert row["d"]["results"][0]["TimeStampAsBigInt"] > 0


def test_hrm_divisions_are_the_accessible_divisions(client: Client) -> None:
    """ossobv's get_divisions() reads hrm/Divisions: the same divisions as system/Divisions."""
    hrm = client.ok(f"/api/v1/{DIV}/hrm/Divisions", {"$select": "Code,Description"})
    system = client.ok(f"/api/v1/{DIV}/system/Divisions", {"$select": "Code,Description"})
    assert [r["Code"] for r in hrm["d"]["results"]] == [r["Code"] for r in
                                                        system["d"]["results"]]


def test_generic_rows_are_tied_to_the_divisions_master_data(client: Client) -> None:
    items = {r["ID"]: r for r in client.all_pages(
        f"/api/v1/{DIV}/logistics/Items", {"$select": "ID,Code,Description"})[0]}
    accounts = _ids(client, "crm/Accounts")
    prices, _ = client.all_pages(f"/api/v1/{DIV}/sync/Logistics/SalesItemPrices",
                                 {"$select": "Item,ItemCode,ItemDescription,Account,Division"})
    assert prices
    for row in prices:
        assert row["Division"] == DIV
        assert row["Item"] in items
        assert row["ItemCode"] == items[row["Item"]]["Code"]
        assert row["ItemDescription"] == items[row["Item"]]["Description"]
        assert row["Account"] in accounts
    # lines belong to their header of the same service
    deliveries = _ids(client, _generic("bulk/SalesOrder/GoodsDeliveries"), "EntryID")
    lines, _ = client.all_pages(f"/api/v1/{DIV}/bulk/SalesOrder/GoodsDeliveryLines",
                                {"$select": "EntryID,LineNumber"})
    assert lines
    assert {row["EntryID"] for row in lines} <= deliveries


def test_generic_rows_are_deterministic(client: Client,
                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    path = f"/api/v1/{DIV}/sync/CRM/Addresses"
    first = client.ok(path, {"$top": "5"})["d"]
    for sb in own_sandbox(tmp_path_factory, seed=11, divisions=2, rows=4000):
        again = Client(sb).ok(path, {"$top": "5"})["d"]
    assert [r["ID"] for r in again] == [r["ID"] for r in first]
    assert [dict(r, __metadata=None) for r in again] == [dict(r, __metadata=None)
                                                          for r in first]


def test_generic_sync_endpoint_pages_by_timestamp(client: Client) -> None:
    path = f"/api/v1/{DIV}/sync/Project/ProjectWBS"
    rows, _pages = client.all_pages(path, {"$filter": "Timestamp gt 1L"})
    stamps = [row["Timestamp"] for row in rows]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    middle = stamps[len(stamps) // 2]
    later = client.ok(path, {"$filter": f"Timestamp gt {middle}L"})["d"]["results"]
    assert [r["Timestamp"] for r in later] == [s for s in stamps if s > middle]
    bad = client.get(path, {"$filter": "Description eq 'x'"})
    assert bad.status_code == 400
    assert client.get(path, {"$skip": "1"}).status_code == 400


def test_generic_bulk_endpoint_needs_select_and_pages_by_1000(client: Client) -> None:
    path = f"/api/v1/{DIV}/bulk/CRM/Addresses"
    assert client.get(path).status_code == 400
    body = client.ok(path, {"$select": "ID,Account"})
    assert "__next" not in body["d"]
    assert 0 < len(body["d"]["results"]) <= 1000


def test_standard_paging_filter_orderby_top_skip_count_with_int64_keys(client: Client) -> None:
    # Every generic endpoint left is sync or bulk (#15 gave the standard read/ lists specific
    # views); ReportingBalance is the standard endpoint with Int64 keys and rows to page.
    path = f"/api/v1/{DIV}/financial/ReportingBalance"
    rows, pages = client.all_pages(path)
    assert pages == -(-len(rows) // 60)
    assert len(rows) > 130
    assert [r["ID"] for r in rows] == sorted(r["ID"] for r in rows)
    first = client.ok(path)["d"]
    assert first["__next"].endswith(f"$skiptoken={first['results'][-1]['ID']}L")
    count = client.ok(path, {"$inlinecount": "allpages", "$select": "ID"})["d"]["__count"]
    assert count == str(len(rows))
    assert client.get(f"{path}/$count").text == str(len(rows))
    # by key: Int64 keys are written 123L
    key = rows[3]["ID"]
    assert client.ok(f"{path}({key}L)")["d"]["ID"] == key
    # $filter comparisons, and/or, guid, functions (datetime: test_data_odata)
    account = rows[0]["GLAccount"]
    description = rows[0]["GLAccountDescription"]
    prefix, middle = description[:3], description[1:4]
    cases = {
        f"GLAccount eq guid'{account}'": lambda r: r["GLAccount"] == account,
        f"GLAccount ne guid'{account}'": lambda r: r["GLAccount"] != account,
        "Amount gt 1000 and Amount le 20000": lambda r: 1000 < r["Amount"] <= 20000,
        "Amount lt -5000 or Amount ge 50000": lambda r: r["Amount"] < -5000
        or r["Amount"] >= 50000,
        f"startswith(GLAccountDescription,'{prefix}')": lambda r: (
            r["GLAccountDescription"] or "").startswith(prefix),
        f"substringof('{middle}',GLAccountDescription)": lambda r: middle in (
            r["GLAccountDescription"] or ""),
    }
    for expr, want in cases.items():
        got, _ = client.all_pages(path, {"$filter": expr, "$select": "ID"})
        assert [r["ID"] for r in got] == [r["ID"] for r in rows if want(r)], expr
    desc = client.ok(path, {"$orderby": "Amount desc", "$top": "5", "$select": "Amount"})["d"]
    assert [r["Amount"] for r in desc] == sorted((r["Amount"] for r in rows), reverse=True)[:5]
    skipped = client.ok(path, {"$skip": "10", "$top": "3", "$select": "ID"})["d"]
    assert [r["ID"] for r in skipped] == [r["ID"] for r in rows[10:13]]
    page = client.ok(path, {"$skip": "10", "$select": "ID"})["d"]
    assert [r["ID"] for r in page["results"]] == [r["ID"] for r in rows[10:70]]
    assert "$skip=" not in page["__next"]
    nxt = client.ok(page["__next"])["d"]["results"]
    assert [r["ID"] for r in nxt] == [r["ID"] for r in rows[70:130]]


def test_expand_of_every_listed_navigation_property(client: Client) -> None:
    # a header with lines in the generic layer
    body = client.ok(f"/api/v1/{DIV}/{_generic('bulk/SalesOrder/GoodsDeliveries')}",
                     {"$select": "EntryID,GoodsDeliveryLines/ID,GoodsDeliveryLines/EntryID",
                      "$expand": "GoodsDeliveryLines"})
    rows = body["d"]["results"]
    assert any(row["GoodsDeliveryLines"]["results"] for row in rows)
    for row in rows:
        for line in row["GoodsDeliveryLines"]["results"]:
            assert line["EntryID"] == row["EntryID"]
            assert set(line) == {"__metadata", "ID",
                                                                       "EntryID"}
    # a navigation property whose entity the sandbox has no rows of: an empty collection
    gl = client.ok(f"/api/v1/{DIV}/financial/GLAccounts",
                   {"$expand": "DeductibilityPercentages", "$top": "2"})["d"]
    assert [row["DeductibilityPercentages"] for row in gl] == [{"results": []}] * 2
    accounts = client.ok(f"/api/v1/{DIV}/crm/Accounts", {"$expand": "BankAccounts",
                                                          "$select": "ID,BankAccounts",
                                                          "$top": "1"})["d"]
    assert accounts[0]["BankAccounts"] == {"results": []}
    # specific twins expand from the ledger's rows
    query = {"$select": "InvoiceID,SalesInvoiceLines/ID,SalesInvoiceLines/AmountDC",
             "$expand": "SalesInvoiceLines", "$top": "1"}
    bulk = client.ok(f"/api/v1/{DIV}/bulk/SalesInvoice/SalesInvoices", query)["d"][0]
    standard = client.ok(f"/api/v1/{DIV}/salesinvoice/SalesInvoices", query)["d"][0]
    assert bulk["SalesInvoiceLines"]["results"]
    assert [(r["ID"], r["AmountDC"]) for r in bulk["SalesInvoiceLines"]["results"]] == \
        [(r["ID"], r["AmountDC"]) for r in standard["SalesInvoiceLines"]["results"]]
    # not a navigation property
    bad = client.get(f"/api/v1/{DIV}/financial/GLAccounts", {"$expand": "Code"})
    assert bad.status_code == 400
    assert "navigation" in bad.json()["error"]["message"]["value"]


def test_a_division_move_lowers_generic_timestamps_too(tmp_path_factory:
                                                       pytest.TempPathFactory) -> None:
    for sb in own_sandbox(tmp_path_factory, seed=12, divisions=1, rows=400):
        client = Client(sb)
        path = f"/api/v1/{DIV}/sync/Payroll/Employments"
        before = [r["Timestamp"] for r in client.ok(path)["d"]["results"]]
        ledger = client.ok(f"/api/v1/{DIV}/sync/Financial/TransactionLines",
                           {"$select": "Timestamp"})["d"]["results"][-1]["Timestamp"]
        client.mutate({"division": DIV, "stream": "divisions", "action": "update"})
        after = [r["Timestamp"] for r in client.ok(path)["d"]["results"]]
        assert after
        assert max(after) < min(before)
        assert after == sorted(after)
        # a generic table made after the move starts lower as well
        fresh = client.ok(f"/api/v1/{DIV}/sync/HRM/Schedules")["d"]["results"]
        assert fresh
        assert max(r["Timestamp"] for r in fresh) < ledger
