"""Sandbox data is consistent as accounting (via /_sandbox/truth of the session sandbox)."""

from __future__ import annotations

from collections import defaultdict

from tests.support.sandbox import SandboxProcess

DIV = 3100001


def test_ledger_balances_and_references_exist(sandbox: SandboxProcess) -> None:
    truth = sandbox.truth
    lines = truth(DIV, "transaction_lines")
    assert len(lines) == 2000
    per_entry: dict[str, float] = defaultdict(float)
    for row in lines:
        per_entry[row["EntryID"]] += row["AmountDC"]
    assert all(abs(total) < 0.005 for total in per_entry.values())
    gl = {r["ID"] for r in truth(DIV, "gl_accounts")}
    accounts = {r["ID"] for r in truth(DIV, "accounts")}
    cost_centers = {r["Code"] for r in truth(DIV, "cost_centers")}
    cost_units = {r["Code"] for r in truth(DIV, "cost_units")}
    assert {r["GLAccount"] for r in lines} <= gl
    assert {r["Account"] for r in lines} - {None} <= accounts
    assert {r["CostCenter"] for r in lines} - {None} <= cost_centers
    assert {r["CostUnit"] for r in lines} - {None} <= cost_units
    assert {r["Type"] for r in lines} == {20, 30, 40, 90}
    classes = truth(DIV, "gl_classifications")
    assert {r["Parent"] for r in classes} - {None} <= {r["ID"] for r in classes}


def test_entry_lines_are_the_transaction_lines_of_their_entries(sandbox: SandboxProcess) -> None:
    lines = {r["ID"]: r for r in sandbox.truth(DIV, "transaction_lines")}
    for stream, entry_type in (("sales_entry_lines", 20), ("purchase_entry_lines", 30),
                               ("bank_entry_lines", 40), ("general_journal_entry_lines", 90)):
        rows = sandbox.truth(DIV, stream)
        assert rows, stream
        for row in rows:
            tl = lines[row["ID"]]
            assert tl["EntryID"] == row["EntryID"]
            assert tl["Type"] == entry_type
            assert abs(abs(tl["AmountDC"]) - abs(row["AmountDC"])) < 0.005


def test_invoices_add_up_and_receivables_link_to_entries(sandbox: SandboxProcess) -> None:
    rows = sandbox.truth(DIV, "sales_invoices")
    headers = {r["InvoiceID"]: r for r in rows if r["LineNumber"] == 0}
    sums: dict[str, float] = defaultdict(float)
    for row in rows:
        if row["LineNumber"] > 0:
            sums[row["InvoiceID"]] += row["AmountDC"] + row["VATAmountDC"]
    assert headers
    assert set(sums) == set(headers)
    for invoice_id, header in headers.items():
        assert abs(header["AmountDC"] - sums[invoice_id]) < 0.005
    entries = {r["EntryID"]: r for r in sandbox.truth(DIV, "sales_entries")}
    receivables = sandbox.truth(DIV, "receivables")
    assert len(receivables) == len(entries)
    for rec in receivables:
        assert abs(entries[rec["EntryID"]]["AmountDC"] - rec["AmountDC"]) < 0.005
    purchases = {r["EntryID"] for r in sandbox.truth(DIV, "purchase_entries")}
    assert {r["EntryID"] for r in sandbox.truth(DIV, "payments")} == purchases


def test_master_data_shapes(sandbox: SandboxProcess) -> None:
    accounts = sandbox.truth(DIV, "accounts")
    assert all(len(r["Code"]) == 18 and r["Code"] == r["Code"].rjust(18) for r in accounts)
    assert {r["IsSupplier"] for r in accounts} == {True, False}
    projects = {r["ID"] for r in sandbox.truth(DIV, "projects")}
    tct = sandbox.truth(DIV, "time_cost_transactions")
    assert tct
    assert {r["Project"] for r in tct} <= projects
    employees = {r["ID"] for r in sandbox.truth(DIV, "employees")}
    assert {r["Employee"] for r in tct} <= employees
    orders = {r["ID"] for r in sandbox.truth(DIV, "sales_orders")}
    assert {r["OrderID"] for r in sandbox.truth(DIV, "sales_order_lines")} <= orders
    for stream in ("journals", "vat_codes", "currencies", "divisions", "purchase_orders",
                   "contacts", "items", "purchase_invoices", "purchase_invoice_lines",
                   "general_journal_entries", "bank_entries", "purchase_entries", "deleted"):
        rows = sandbox.truth(DIV, stream)
        assert rows, stream
