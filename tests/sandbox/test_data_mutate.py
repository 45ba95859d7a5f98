"""Sandbox data: mutations (rowversions, deletes, creates, consistency) and determinism."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.data_support import DIV, DIV2, Client, own_sandbox
from tests.support.sandbox import SandboxProcess

TL = f"/api/v1/{DIV}/sync/Financial/TransactionLines"
SI = f"/api/v1/{DIV}/sync/SalesInvoice/SalesInvoices"


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from own_sandbox(tmp_path_factory, seed=11, divisions=2, rows=1500)


@pytest.fixture(scope="module")
def client(sb: SandboxProcess) -> Client:
    return Client(sb)


def max_ts(client: Client, path: str) -> int:
    rows, _ = client.all_pages(path, {"$select": "Timestamp"})
    return max(r["Timestamp"] for r in rows)


def test_row_updated_while_paging_moves_to_a_later_page(client: Client) -> None:
    first = client.ok(TL, {"$filter": "Timestamp gt 1L", "$select": "ID,EntryID,Timestamp"})["d"]
    moved = first["results"][10]
    changed = client.mutate({"division": DIV, "stream": "transaction_lines", "action": "update",
                             "ids": [moved["ID"]]})
    entry_rows = [r for r in first["results"] if r["EntryID"] == moved["EntryID"]]
    assert {c["ID"] for c in changed} >= {r["ID"] for r in entry_rows}
    rest, _ = client.all_pages(first["__next"])
    again = [r for r in rest if r["ID"] == moved["ID"]]
    assert len(again) == 1
    assert again[0]["Timestamp"] > moved["Timestamp"]
    assert again[0]["Timestamp"] == next(c["Timestamp"] for c in changed
                                         if c["ID"] == moved["ID"])


def test_invoice_update_bumps_header_and_lines_and_modified(client: Client) -> None:
    before = max_ts(client, SI)
    changed = client.mutate({"division": DIV, "stream": "sales_invoices", "action": "update",
                             "count": 1})
    newer, _ = client.all_pages(SI, {"$filter": f"Timestamp gt {before}L",
                                     "$select": "ID,InvoiceID,LineNumber,Timestamp,Modified"})
    assert sorted(r["ID"] for r in newer) == sorted(c["ID"] for c in changed)
    assert {r["InvoiceID"] for r in newer} == {newer[0]["InvoiceID"]}
    assert 0 in {r["LineNumber"] for r in newer}
    assert len(newer) >= 2
    wall_ms = int(newer[0]["Modified"][6:-2])
    offset = wall_ms - time.time() * 1000  # Amsterdam wall time written as if UTC
    assert 3_500_000 < offset < 7_300_000


def test_delete_writes_sync_deleted_rows_with_entity_type(client: Client) -> None:
    deleted_path = f"/api/v1/{DIV}/sync/Deleted"
    before, _ = client.all_pages(deleted_path)
    start = max([r["Timestamp"] for r in before], default=1)
    changed = client.mutate({"division": DIV, "stream": "accounts", "action": "delete",
                             "count": 1})
    gone = changed[0]["ID"]
    rows, _ = client.all_pages(deleted_path, {"$filter": f"Timestamp gt {start}L"})
    assert [(r["EntityKey"], r["EntityType"]) for r in rows] == [(gone, 2)]
    assert client.get(f"/api/v1/{DIV}/crm/Accounts(guid'{gone}')").status_code == 404
    assert gone not in {r["ID"] for r in client.sandbox.truth(DIV, "accounts")}
    inv = client.mutate({"division": DIV, "stream": "sales_invoices", "action": "delete",
                         "count": 1})
    rows, _ = client.all_pages(deleted_path, {"$filter": f"Timestamp gt {start}L and "
                                                         "EntityType eq 13"})
    assert sorted(r["EntityKey"] for r in rows) == sorted(c["ID"] for c in inv)


def test_created_entries_balance_and_show_up_everywhere(client: Client) -> None:
    before = max_ts(client, TL)
    created = client.mutate({"division": DIV, "stream": "sales_entries", "action": "create",
                             "count": 1})
    entry_id = created[0]["ID"]
    lines, _ = client.all_pages(TL, {"$filter": f"Timestamp gt {before}L"})
    assert {r["EntryID"] for r in lines} == {entry_id}
    assert abs(sum(r["AmountDC"] for r in lines)) < 0.005
    header = client.ok(f"/api/v1/{DIV}/salesentry/SalesEntries(guid'{entry_id}')")["d"]
    entry_lines = client.ok(f"/api/v1/{DIV}/salesentry/SalesEntryLines",
                            {"$filter": f"EntryID eq guid'{entry_id}'"})["d"]["results"]
    assert {r["ID"] for r in entry_lines} <= {r["ID"] for r in lines}
    net = sum(r["AmountDC"] for r in entry_lines)
    vat = sum(r["VATAmountDC"] for r in entry_lines)
    assert abs(header["AmountDC"] - (net + vat)) < 0.005
    invoices, _ = client.all_pages(SI, {"$filter": f"Timestamp gt {before}L"})
    assert invoices
    head = next(r for r in invoices if r["LineNumber"] == 0)
    assert abs(head["AmountDC"] - header["AmountDC"]) < 0.005
    gj = client.mutate({"division": DIV2, "stream": "general_journal_entries",
                        "action": "create", "count": 2})
    assert len(gj) == 2


def test_mutate_refuses_bad_requests_with_a_message(client: Client) -> None:
    resp = requests.post(f"{client.url}/_sandbox/mutate", timeout=10, json={
        "division": DIV, "stream": "nope", "action": "update"})
    assert resp.status_code == 400
    assert "stream must be one of" in resp.json()["error"]
    resp = requests.post(f"{client.url}/_sandbox/mutate", timeout=10, json={
        "division": DIV, "stream": "items", "action": "update", "fields": {"Bogus": 1}})
    assert resp.status_code == 400


def test_same_seed_same_bytes_other_division_other_data(
        client: Client, tmp_path_factory: pytest.TempPathFactory) -> None:
    for twin in own_sandbox(tmp_path_factory, seed=11, divisions=2, rows=1500):
        twin_client = Client(twin)
        path = f"/api/v1/{DIV2}/sync/Logistics/Items"
        ours = client.get(path).content.replace(client.url.encode(), b"")
        theirs = twin_client.get(path).content.replace(twin_client.url.encode(), b"")
        assert ours == theirs
    a = {r["Description"] for r in client.sandbox.truth(DIV2, "gl_accounts")}
    ids_1 = {r["ID"] for r in client.sandbox.truth(DIV, "items")}
    ids_2 = {r["ID"] for r in client.sandbox.truth(DIV2, "items")}
    assert a
    assert not ids_1 & ids_2


def test_division_move_regenerates_lower_timestamps(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    for sb in own_sandbox(tmp_path_factory, seed=13, divisions=1, rows=600):
        client = Client(sb)
        before = {r["ID"]: r["Timestamp"] for r in sb.truth(DIV, "transaction_lines")}
        bookmark = max(before.values())
        divisions = client.ok(f"/api/v1/{DIV}/system/Divisions")["d"]["results"]
        assert divisions[0]["DivisionMoveDate"] is None
        client.mutate({"division": DIV, "stream": "divisions", "action": "update"})
        moved = client.ok(f"/api/v1/{DIV}/system/Divisions")["d"]["results"][0]
        assert moved["DivisionMoveDate"].startswith("/Date(")
        after = {r["ID"]: r["Timestamp"] for r in sb.truth(DIV, "transaction_lines")}
        assert after.keys() == before.keys()
        assert max(after.values()) < bookmark
        assert sorted(after, key=after.get) == sorted(before, key=before.get)
        fresh, _ = client.all_pages(f"/api/v1/{DIV}/sync/Financial/TransactionLines",
                                    {"$filter": f"Timestamp gt {bookmark}L"})
        assert fresh == []
        changed = client.mutate({"division": DIV, "stream": "transaction_lines",
                                 "action": "update", "count": 1})
        assert changed[0]["Timestamp"] > max(after.values())


def test_restart_on_the_same_db_never_reuses_created_ids(tmp_path) -> None:
    """A sandbox restarted on its --db file keeps its mutations and hands out new IDs."""
    db = tmp_path / "sandbox.sqlite"
    body = {"division": DIV, "stream": "accounts", "action": "create", "count": 2}
    created: list[str] = []
    for _ in range(2):
        with SandboxProcess(seed=5, divisions=1, rows=300, db=str(db)) as box:
            created += [change["ID"] for change in box.mutate(body)["changed"]]
            truth = [row["ID"] for row in box.truth(DIV, "accounts")]
    assert len(set(created)) == 4, created
    assert set(created) <= set(truth)
    assert len(truth) == len(set(truth)), "duplicate keys in the sandbox truth"


def test_entry_update_reaches_its_payment_terms(client: Client) -> None:
    """Payment terms show their entry's Description: an update of the entry is a new version
    of each term (fresh Timestamp), or a sync reader would keep the old Description."""
    terms = f"/api/v1/{DIV}/sync/Cashflow/PaymentTerms"
    before = max_ts(client, terms)
    changed = client.mutate({"division": DIV, "stream": "purchase_invoices", "action": "update",
                             "count": 1})
    told = {c["ID"] for c in changed if c["stream"] == "payment_terms"}
    assert told, changed
    newer, _ = client.all_pages(terms, {"$filter": f"Timestamp gt {before}L",
                                        "$select": "ID,Description,Timestamp"})
    assert {r["ID"] for r in newer} == told
    assert {r["Description"] for r in newer} == {"Updated " + r["Description"].split()[-1]
                                                 for r in newer}
    assert all(r["Description"].startswith("Updated ") for r in newer)


def test_a_payment_update_names_the_payment_term_too(client: Client) -> None:
    """A payment is also a row of sync/Cashflow/PaymentTerms: the answer names both streams, so
    a reader can tell which rows of payment_terms changed while it read."""
    terms = f"/api/v1/{DIV}/sync/Cashflow/PaymentTerms"
    before = max_ts(client, terms)
    changed = client.mutate({"division": DIV, "stream": "payments", "action": "update",
                             "count": 1})
    by_stream = {c["stream"]: c for c in changed}
    assert set(by_stream) == {"payments", "payment_terms"}, changed
    assert by_stream["payments"]["ID"] == by_stream["payment_terms"]["ID"]
    newer, _ = client.all_pages(terms, {"$filter": f"Timestamp gt {before}L",
                                        "$select": "ID,Timestamp"})
    assert [(r["ID"], r["Timestamp"]) for r in newer] == [
        (by_stream["payment_terms"]["ID"], by_stream["payment_terms"]["Timestamp"])]
