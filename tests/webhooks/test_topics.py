"""The topic-to-stream table against the tap's catalog and Exact's documented topics."""

from __future__ import annotations

import pytest

from tap_exactonline.streamtable import SPECS
from tap_exactonline.tap import TapExactOnline
from tap_exactonline.webhooks import topics

pytestmark = pytest.mark.webhooks

#: Topics Exact documents (fact sheet §9, "Subscribe to the topic X" pages + two older ones).
EXACT_TOPICS = {
    "Accounts", "BankAccounts", "BankEntries", "CashEntries", "Contacts", "CostTransactions",
    "Documents", "GeneralJournalEntries", "GLAccounts", "GoodsDeliveries", "Items",
    "ProjectPlanning", "PurchaseEntries", "PurchaseOrders", "Quotations", "SalesEntries",
    "SalesInvoices", "SalesOrders", "Subscriptions", "TimeTransactions", "StockPositions",
    "FinancialTransactions",
}


def test_every_mapped_stream_is_in_the_taps_catalog() -> None:
    catalog = {entry.tap_stream_id for entry in TapExactOnline(config={
        "client_id": "x", "client_secret": "y"}, validate_config=False).catalog.streams}
    mapped = {s for streams in topics.TOPIC_STREAMS.values() for s in streams}
    assert mapped | {topics.DELETED_STREAM} <= catalog
    assert catalog == set(SPECS)


def test_every_exact_topic_is_either_mapped_or_declared_unread() -> None:
    assert set(topics.TOPIC_STREAMS) | topics.UNMAPPED_TOPICS == EXACT_TOPICS
    assert not set(topics.TOPIC_STREAMS) & topics.UNMAPPED_TOPICS


def test_the_issues_examples_and_the_lines_rule() -> None:
    table = topics.TOPIC_STREAMS
    assert {"sales_invoices", "transaction_lines"} <= set(table["SalesInvoices"])
    for topic, entry in [("GeneralJournalEntries", "general_journal_entries"),
                         ("BankEntries", "bank_entries"), ("PurchaseEntries", "purchase_entries"),
                         ("SalesEntries", "sales_entries")]:
        assert {entry, entry.replace("entries", "entry_lines"), "transaction_lines"} <= set(
            table[topic]), topic
    assert "transaction_lines" in table["CashEntries"]
    assert table["Accounts"] == ("accounts",)
    assert table["GLAccounts"] == ("gl_accounts",)
    assert set(table["SalesOrders"]) == {"sales_orders", "sales_order_lines"}


def test_select_patterns_add_deleted_only_for_deletes() -> None:
    assert topics.streams_for([("Accounts", "Update"), ("Contacts", "Create")]) == [
        "accounts", "contacts"]
    assert topics.streams_for([("Accounts", "Delete")]) == ["accounts", "deleted"]
    assert topics.streams_for([("Documents", "Delete")]) == []
    assert topics.select_patterns(["contacts", "accounts"]) == ["accounts.*", "contacts.*"]


def test_the_documented_table_is_the_declared_one() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    block = doc.split("<!-- topic-table:start -->")[1].split("<!-- topic-table:end -->")[0]
    rows = [line.strip("| ").split(" | ") for line in block.splitlines()[3:] if line]
    documented = {topic: tuple(s.strip("`") for s in streams.split(", "))
                  for topic, streams in rows}
    assert documented == topics.TOPIC_STREAMS
