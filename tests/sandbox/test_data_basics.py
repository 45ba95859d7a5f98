"""Sandbox data: Me, divisions, sync/bulk/standard paging and query options, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote_plus

import pytest
import requests

from tests.sandbox.data_support import DIV, DIV2, Client, own_sandbox
from tests.support.sandbox import SandboxProcess

TL = f"/api/v1/{DIV}/sync/Financial/TransactionLines"


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from own_sandbox(tmp_path_factory, seed=7, divisions=2, rows=2500)


@pytest.fixture(scope="module")
def client(sb: SandboxProcess) -> Client:
    return Client(sb)


def test_me_names_the_current_division(client: Client) -> None:
    rows = client.ok("/api/v1/current/Me", {"$select": "CurrentDivision"})["d"]["results"]
    assert len(rows) == 1
    assert rows[0]["CurrentDivision"] == DIV
    assert set(rows[0]) == {"__metadata", "CurrentDivision"}
    full = client.ok("/api/v1/current/Me")["d"]["results"][0]
    assert {"UserID", "UserName", "FullName", "DivisionCustomer"} <= set(full)
    divisions = requests.get(f"{client.url}/_sandbox/divisions", timeout=10).json()
    assert divisions == {"accessible": [DIV, DIV2], "current": DIV, "inaccessible": [3999999]}


def test_system_divisions_lists_accessible_divisions(client: Client) -> None:
    rows = client.ok(f"/api/v1/{DIV}/system/Divisions")["d"]["results"]
    assert [r["Code"] for r in rows] == [DIV, DIV2]
    assert [r["Current"] for r in rows] == [True, False]
    # every second division was moved to another database once (a moment), the first never
    assert rows[0]["DivisionMoveDate"] is None
    assert rows[1]["DivisionMoveDate"].startswith("/Date(")


def test_inaccessible_division_is_403_with_reason(client: Client) -> None:
    resp = client.get("/api/v1/3999999/system/Divisions")
    assert resp.status_code == 403
    assert resp.headers["Reason"] == "NoDivisionAccess"
    assert resp.json()["error"]["message"]["value"] == "Forbidden - WrongDivision"


def test_without_accept_json_exact_answers_atom(client: Client) -> None:
    resp = requests.get(f"{client.url}/api/v1/{DIV}/crm/Accounts", timeout=10,
                        headers={"Authorization": f"Bearer {client.token}"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/atom+xml")


def test_sync_pages_cover_the_truth_in_timestamp_order(client: Client) -> None:
    truth = client.sandbox.truth(DIV, "transaction_lines")
    assert len(truth) == 2500
    seen, pages = client.all_pages(TL, {"$filter": "Timestamp gt 1",
                                        "$select": "ID,Timestamp,AmountDC,EntryID"})
    assert pages == 3
    assert [r["ID"] for r in seen] == [r["ID"] for r in truth]
    stamps = [r["Timestamp"] for r in seen]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    assert set(seen[0]) == {"__metadata", "ID", "Timestamp", "AmountDC", "EntryID"}
    totals: dict[str, float] = {}
    for row in seen:
        totals[row["EntryID"]] = totals.get(row["EntryID"], 0.0) + row["AmountDC"]
    assert all(abs(v) < 0.005 for v in totals.values())


def test_sync_next_link_repeats_options_with_L_skiptoken(client: Client) -> None:
    data = client.ok(TL, {"$filter": "Timestamp gt 5L", "$select": "ID,Timestamp"})["d"]
    last = data["results"][-1]["Timestamp"]
    nxt = unquote_plus(data["__next"])
    assert nxt.startswith(f"{client.url}{TL}?")
    assert "$select=ID,Timestamp" in nxt
    assert "$filter=Timestamp gt 5L" in nxt
    assert nxt.endswith(f"$skiptoken={last}L")
    page2 = client.ok(data["__next"])["d"]["results"]
    assert page2[0]["Timestamp"] > last


def test_sync_refuses_what_exact_refuses(client: Client) -> None:
    star = client.get(f"/api/v1/{DIV}/sync/CRM/Contacts", {"$select": "*"})
    assert star.status_code == 400
    assert "error" in star.json()
    assert client.get(TL, {"$select": "*", "$top": "1"}).status_code == 200
    on_modified = client.get(TL, {"$filter": "Modified gt datetime'2024-01-01T00:00:00'"})
    assert on_modified.status_code == 400
    huge = client.get(TL, {"$filter": "Timestamp gt 99999999999999999999L"})
    assert huge.status_code == 400
    deleted = client.get(f"/api/v1/{DIV}/sync/Deleted",
                         {"$filter": "Timestamp gt 1L and EntityType eq 2"})
    assert deleted.status_code == 200


def test_general_journal_entries_need_select_or_top_1(client: Client) -> None:
    path = f"/api/v1/{DIV}/generaljournalentry/GeneralJournalEntries"
    assert client.get(path).status_code == 400
    assert client.get(path, {"$top": "1"}).status_code == 200
    assert client.get(path, {"$select": "EntryID"}).status_code == 200


def test_bulk_requires_select_and_pages_by_1000(client: Client) -> None:
    path = f"/api/v1/{DIV}/bulk/Cashflow/Receivables"
    resp = client.get(path)
    assert resp.status_code == 400
    assert resp.json()["error"]["message"]["value"] == (
        "Please add a $select or a $top=1 statement to the query string.")
    rows, _pages = client.all_pages(path, {"$select": "ID,AmountDC,Modified,EntryID"})
    truth = client.sandbox.truth(DIV, "receivables")
    assert sorted(r["ID"] for r in rows) == sorted(r["ID"] for r in truth)


def test_standard_paging_60_rows_guid_skiptoken_and_modified_filter(client: Client) -> None:
    path = f"/api/v1/{DIV}/salesentry/SalesEntries"
    data = client.ok(path, {"$select": "EntryID,Modified"})["d"]
    assert len(data["results"]) == 60
    assert requests.utils.unquote(data["__next"]).endswith(
        f"$skiptoken=guid'{data['results'][-1]['EntryID']}'")
    rows, pages = client.all_pages(path, {"$select": "EntryID,Modified"})
    assert pages > 2
    keys = [r["EntryID"] for r in rows]
    assert keys == sorted(set(keys))
    cut = "2025-06-01T00:00:00"
    later, _ = client.all_pages(path, {"$select": "EntryID,Modified",
                                       "$filter": f"Modified ge datetime'{cut}'"})
    cut_ms = 1748736000000  # 2025-06-01T00:00 as Exact writes it
    assert {r["EntryID"] for r in later} == {
        r["EntryID"] for r in rows if int(r["Modified"][6:-2]) >= cut_ms}
    assert 0 < len(later) < len(rows)


def test_standard_top_inlinecount_orderby_and_keys(client: Client) -> None:
    path = f"/api/v1/{DIV}/crm/Accounts"
    top = client.ok(path, {"$top": "2", "$select": "ID,Name"})
    assert isinstance(top["d"], list)
    assert len(top["d"]) == 2
    counted = client.ok(path, {"$inlinecount": "allpages", "$select": "ID"})["d"]
    total = int(counted["__count"])
    assert total == len(client.sandbox.truth(DIV, "accounts"))
    ordered, _ = client.all_pages(path, {"$orderby": "Name desc", "$select": "ID,Name"})
    assert len(ordered) == total
    names = [r["Name"] for r in ordered]
    assert names == sorted(names, reverse=True)
    one = ordered[5]["ID"]
    by_key = client.ok(f"{path}(guid'{one}')")
    assert by_key["d"]["ID"] == one
    assert client.ok(path, {"$filter": f"ID eq guid'{one}'"})["d"]["results"][0]["ID"] == one
    missing = client.get(f"{path}(guid'00000000-0000-0000-0000-000000000000')")
    assert missing.status_code == 404
    assert "error" in missing.json()


def test_errors_are_odata_envelopes(client: Client) -> None:
    bad = client.get(f"/api/v1/{DIV}/crm/Accounts", {"$filter": "Name eq eq 'x'"})
    assert bad.status_code == 400
    assert bad.json() == {"error": {"code": "", "message": {
        "lang": "", "value": "Bad Request - Error in query syntax."}}}
    unknown = client.get(f"/api/v1/{DIV}/crm/Nothing")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"]["value"]


def test_sync_timestamp_splits_rows_by_modified(client: Client) -> None:
    path = f"/api/v1/{DIV}/read/sync/Sync/SyncTimestamp"
    moment = "2025-03-01T00:00:00"
    data = client.ok(path, {"modified": f"datetime'{moment}'",
                            "endPoint": "'TransactionLines'"})["d"]["results"][0]
    cut = data["TimeStampAsBigInt"]
    truth = client.sandbox.truth(DIV, "transaction_lines")
    cut_ms = 1740787200000  # 2025-03-01T00:00 as Exact writes it
    after = {r["ID"] for r in truth if int(r["Modified"][6:-2]) >= cut_ms}
    assert after == {r["ID"] for r in truth if r["Timestamp"] > cut}
    assert 0 < len(after) < len(truth)
    bad = client.get(path, {"modified": f"datetime'{moment}'", "endPoint": "'Nope'"})
    assert bad.status_code == 400


def test_prerendered_rows_equal_generically_rendered_rows(client: Client) -> None:
    fields = list(client.ok(TL, {"$top": "1"})["d"][0])
    fields.remove("__metadata")
    full = client.ok(TL, {"$select": ",".join(fields)})["d"]["results"]
    fewer = client.ok(TL, {"$select": ",".join(fields[:-1])})["d"]["results"]
    assert len(full) == 1000
    assert [{k: v for k, v in r.items() if k != fields[-1]} for r in full] == fewer


def test_expand_lines_with_select_of_line_fields(client: Client) -> None:
    path = f"/api/v1/{DIV}/purchaseentry/PurchaseEntries"
    data = client.ok(path, {"$select": "Modified,AmountDC,PurchaseEntryLines/ID,"
                                       "PurchaseEntryLines/AmountDC,PurchaseEntryLines/VATAmountDC",
                            "$expand": "PurchaseEntryLines"})["d"]
    assert len(data["results"]) == 60
    for entry in data["results"]:
        lines = entry["PurchaseEntryLines"]["results"]
        assert lines
        assert set(lines[0]) == {"__metadata", "ID", "AmountDC", "VATAmountDC"}
        total = sum(line["AmountDC"] + line["VATAmountDC"] for line in lines)
        assert abs(total - entry["AmountDC"]) < 0.005
    bad = client.get(path, {"$expand": "Nope"})
    assert bad.status_code == 400
