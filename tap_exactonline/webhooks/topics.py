"""Which streams a webhook topic touches: the one declared topic-to-stream table.

Exact's notifications carry a topic, a division, an action and a key, never the data (fact
sheet §9), so a notification is a trigger: it names the streams an incremental run must read.
A topic covers its lines too (SalesInvoices covers SalesInvoiceLines; the entry topics cover
their entry lines and TransactionLines, fact sheet §9 "Lines topics fire for header topic").

Choices where Exact is silent, so that a triggered run misses nothing a finance user reads:

* every journal-entry topic also reads ``transaction_lines`` (the general ledger), and the
  open items the entry moves: sales entries and invoices -> ``receivables``, purchase
  entries -> ``payments``, bank and cash entries (settlements) -> both;
* ``FinancialTransactions`` (the older topic for any journal entry) reads every entry stream;
* a ``Delete`` action adds ``deleted`` (sync/Deleted carries the tombstones).

Topics Exact offers that no stream of the tap reads (BankAccounts, Documents, GoodsDeliveries,
ProjectPlanning, Quotations, StockPositions, Subscriptions) are stored and listed, but trigger
no run; ``exactonline webhooks subscribe`` does not subscribe to them by default.
"""

from __future__ import annotations

from collections.abc import Iterable

_ENTRY_STREAMS = (
    "transaction_lines",
    "general_journal_entries", "general_journal_entry_lines",
    "sales_entries", "sales_entry_lines",
    "purchase_entries", "purchase_entry_lines",
    "bank_entries", "bank_entry_lines",
    "receivables", "payments",
)

#: Exact webhook topic -> the tap streams an incremental run reads for it.
TOPIC_STREAMS: dict[str, tuple[str, ...]] = {
    "Accounts": ("accounts",),
    "BankEntries": ("bank_entries", "bank_entry_lines", "transaction_lines", "receivables",
                    "payments"),
    "CashEntries": ("transaction_lines", "receivables", "payments"),
    "Contacts": ("contacts",),
    "CostTransactions": ("time_cost_transactions",),
    "FinancialTransactions": _ENTRY_STREAMS,
    "GeneralJournalEntries": ("general_journal_entries", "general_journal_entry_lines",
                              "transaction_lines"),
    "GLAccounts": ("gl_accounts",),
    "Items": ("items",),
    "PurchaseEntries": ("purchase_entries", "purchase_entry_lines", "transaction_lines",
                        "payments"),
    "PurchaseOrders": ("purchase_orders",),
    "SalesEntries": ("sales_entries", "sales_entry_lines", "transaction_lines", "receivables"),
    "SalesInvoices": ("sales_invoices", "transaction_lines", "receivables"),
    "SalesOrders": ("sales_orders", "sales_order_lines"),
    "TimeTransactions": ("time_cost_transactions",),
}

#: Topics Exact documents (fact sheet §9) that no tap stream reads: stored, never triggered.
UNMAPPED_TOPICS: frozenset[str] = frozenset({
    "BankAccounts", "Documents", "GoodsDeliveries", "ProjectPlanning", "Quotations",
    "StockPositions", "Subscriptions",
})

#: The stream that carries tombstones of deleted rows (sync/Deleted).
DELETED_STREAM = "deleted"


def streams_for(events: Iterable[tuple[str, str]]) -> list[str]:
    """The sorted stream names a run must read for ``(topic, action)`` pairs.

    ``Delete`` (any case) adds :data:`DELETED_STREAM`; unknown topics add nothing.
    """
    streams: set[str] = set()
    for topic, action in events:
        mapped = TOPIC_STREAMS.get(topic, ())
        streams.update(mapped)
        if mapped and action.lower() == "delete":
            streams.add(DELETED_STREAM)
    return sorted(streams)


def select_patterns(streams: Iterable[str]) -> list[str]:
    """Meltano ``select`` patterns ``"<stream>.*"`` for ``TAP_EXACTONLINE__SELECT``."""
    return [f"{name}.*" for name in sorted(streams)]
