"""The stream table: one :class:`StreamSpec` row per stream (CONTRACTS §1).

:data:`CATALOG` declares every stream of the tap (name, Exact endpoint, key, family, page
size, sync/Deleted EntityType); :mod:`tap_exactonline.streams` turns each row into a stream
class of its family. Tables derived from it: :data:`SPECS` by name,
:data:`STREAM_OF_ENTITY_TYPE`, :data:`DELETE_DETECTION_STREAMS`, and :data:`TAP_FIELDS`, the
fields the schemas add that Exact has not.

Replication per endpoint follows the fact sheet's order of preference: ``sync/`` (Timestamp,
deletions from sync/Deleted) > ``bulk/`` > ``Modified ge`` > full table.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, replace
from pathlib import Path

from tap_exactonline.tombstones import DELETED_AT, DELETED_AT_SCHEMA

#: Where the generated JSON schemas live (one file per stream, scripts/generate_schemas.py).
SCHEMAS_DIR = Path(__file__).parent / "schemas"

@dataclass(frozen=True)
class StreamSpec:
    """One stream of the catalog.

    Attributes:
        name: Singer stream name (snake_case plural).
        endpoint: Path under ``/api/v1/{division}/``.
        key: Exact's entity key (the stream key is ``Division`` + key).
        reference: Entry of ``reference/exact_entities.json`` holding the field list.
        family: ``sync``, ``modified``, ``full_table`` or ``snapshot``.
        page_size: Rows per page Exact serves.
        entity_type: sync/Deleted EntityType code of this stream's rows (sync family).
        sync_timestamp_endpoint: ``endPoint`` value of ``read/sync/Sync/SyncTimestamp`` when
            Exact supports seeding this endpoint from a date (fact sheet §5, S4).
        expand: Navigation property of ``endpoint`` holding the lines (expanded-lines streams).
        extra_keys: Key fields before ``key`` in the stream key (composite Exact keys, e.g.
            ``ReportingYear`` of the opening balances: ``Division, ReportingYear, GLAccount``).
        opt_in: Personal data (payroll): read only when the ``opt_in_streams`` setting lists
            it and it is selected; the catalog marks it ``selected-by-default: false``.
    """

    name: str
    endpoint: str
    key: str
    reference: str
    family: str
    page_size: int = 60
    entity_type: int | None = None
    sync_timestamp_endpoint: str | None = None
    expand: str | None = None
    extra_keys: tuple[str, ...] = ()
    opt_in: bool = False

    @property
    def primary_keys(self) -> tuple[str, ...]:
        """The stream key: ``Division``, then :attr:`extra_keys`, then :attr:`key`."""
        return ("Division", *self.extra_keys, self.key)


def _sync(name: str, endpoint: str, entity_type: int | None, seed: str | None = None,
          key: str = "ID") -> StreamSpec:
    reference = "sync_" + endpoint.removeprefix("sync/").replace("/", "_")
    return StreamSpec(name, endpoint, key, reference, "sync", 1000, entity_type, seed)


def _modified(name: str, endpoint: str, key: str, reference: str, page: int = 60) -> StreamSpec:
    return StreamSpec(name, endpoint, key, reference, "modified", page)


def _lines(name: str, header_endpoint: str, navigation: str, reference: str) -> StreamSpec:
    """Lines without a Modified field, read through their entries' ``$expand``."""
    return StreamSpec(name, header_endpoint, "ID", reference, "modified", expand=navigation)


def _full(name: str, endpoint: str, key: str, reference: str,
          extra_keys: tuple[str, ...] = ()) -> StreamSpec:
    return StreamSpec(name, endpoint, key, reference, "full_table", extra_keys=extra_keys)


def _snapshot(name: str, endpoint: str, key: str, reference: str,
              extra_keys: tuple[str, ...] = ()) -> StreamSpec:
    return StreamSpec(name, endpoint, key, reference, "snapshot", extra_keys=extra_keys)


CATALOG: tuple[StreamSpec, ...] = (
    _sync("transaction_lines", "sync/Financial/TransactionLines", 1, "TransactionLines"),
    _sync("gl_accounts", "sync/Financial/GLAccounts", 7),
    _sync("gl_classifications", "sync/Financial/GLClassifications", 18),
    _sync("sales_invoices", "sync/SalesInvoice/SalesInvoices", 13, "SalesInvoices"),
    _sync("sales_orders", "sync/SalesOrder/SalesOrderHeaders", 32, "SalesOrderHeaders"),
    _sync("sales_order_lines", "sync/SalesOrder/SalesOrderLines", 33, "SalesOrderLines"),
    _sync("purchase_orders", "sync/PurchaseOrder/PurchaseOrders", 22, "PurchaseOrders"),
    _sync("accounts", "sync/CRM/Accounts", 2),
    _sync("contacts", "sync/CRM/Contacts", 5),
    _sync("items", "sync/Logistics/Items", 9),
    _sync("projects", "sync/Project/Projects", 21, "Projects"),
    _sync(
        "time_cost_transactions",
        "sync/Project/TimeCostTransactions",
        14,
        "TimeCostTransactions",
    ),
    # Payroll personal data: read only when listed in opt_in_streams and selected.
    replace(_sync("employees", "sync/Payroll/Employees", 42), opt_in=True),
    _sync("deleted", "sync/Deleted", None),
    _modified("payments", "bulk/Cashflow/Payments", "ID", "bulk_Cashflow_Payments", 1000),
    _modified("receivables", "bulk/Cashflow/Receivables", "ID", "bulk_Cashflow_Receivables", 1000),
    _modified("purchase_entries", "purchaseentry/PurchaseEntries", "EntryID", "PurchaseEntries"),
    # Entry lines have no Modified field (reference, Exact docs): they are read with the
    # entries modified since the bookmark, through $expand (fact sheet §4).
    _lines(
        "purchase_entry_lines",
        "purchaseentry/PurchaseEntries",
        "PurchaseEntryLines",
        "PurchaseEntryLines",
    ),
    _modified("purchase_invoices", "purchase/PurchaseInvoices", "ID", "PurchaseInvoices"),
    _modified(
        "purchase_invoice_lines", "purchase/PurchaseInvoiceLines", "ID", "PurchaseInvoiceLines"
    ),
    _modified("sales_entries", "salesentry/SalesEntries", "EntryID", "SalesEntries"),
    _lines("sales_entry_lines", "salesentry/SalesEntries", "SalesEntryLines", "SalesEntryLines"),
    _modified(
        "general_journal_entries",
        "generaljournalentry/GeneralJournalEntries",
        "EntryID",
        "GeneralJournalEntries",
    ),
    _modified(
        "general_journal_entry_lines",
        "generaljournalentry/GeneralJournalEntryLines",
        "ID",
        "GeneralJournalEntryLines",
    ),
    _modified("bank_entries", "financialtransaction/BankEntries", "EntryID", "BankEntries"),
    _modified("bank_entry_lines", "financialtransaction/BankEntryLines", "ID", "BankEntryLines"),
    _full("journals", "financial/Journals", "ID", "Journals"),
    _full("cost_centers", "hrm/Costcenters", "ID", "CostCenters"),
    _full("cost_units", "hrm/Costunits", "ID", "CostUnits"),
    _full("divisions", "system/Divisions", "Code", "Divisions"),
    _full("vat_codes", "vat/VATCodes", "ID", "VATCodes"),
    _full("currencies", "general/Currencies", "Code", "Currencies"),
    # -- finance reporting and the order-to-cash chain (issue 15) ------------------------------
    # sync: Timestamp, deletions in sync/Deleted under these EntityTypes (fact sheet §5).
    _sync("payment_terms", "sync/Cashflow/PaymentTerms", 10),
    _sync("subscriptions", "sync/Subscription/Subscriptions", 23, "Subscriptions", "EntryID"),
    _sync("subscription_lines", "sync/Subscription/SubscriptionLines", 24, "SubscriptionLines"),
    _sync("quotations", "sync/CRM/QuotationHeaders", 34, "QuotationHeaders"),
    _sync("quotation_lines", "sync/CRM/QuotationLines", 35, "QuotationLines"),
    _sync("goods_deliveries", "sync/SalesOrder/GoodsDeliveries", 16, "GoodsDeliveries",
          "EntryID"),
    _sync("goods_delivery_lines", "sync/SalesOrder/GoodsDeliveryLines", 17,
          "GoodsDeliveryLines"),
    # Modified: no sync or bulk twin; Exact keeps no deletion log for these.
    _modified("budgets", "budget/Budgets", "ID", "Budgets"),
    _modified("financial_periods", "financial/FinancialPeriods", "ID", "FinancialPeriods"),
    _modified("gl_schemes", "financial/GLSchemes", "ID", "GLSchemes"),
    _modified("exchange_rates", "financial/ExchangeRates", "ID", "ExchangeRates"),
    _modified("cash_entries", "financialtransaction/CashEntries", "EntryID", "CashEntries"),
    _modified("cash_entry_lines", "financialtransaction/CashEntryLines", "ID", "CashEntryLines"),
    # Full table: no Modified field.
    _full("gl_account_classification_mappings", "financial/GLAccountClassificationMappings",
          "ID", "GLAccountClassificationMappings"),
    # Snapshots: Exact's reports (its per-period totals, opening balances and the read/ lists)
    # describe the administration at the moment of reading; no change marker, read in full.
    _snapshot("reporting_balances", "financial/ReportingBalance", "ID", "ReportingBalance"),
    _snapshot("opening_balances_current_year", "openingbalance/CurrentYear/AfterEntry",
              "GLAccount", "OpeningBalanceCurrentYearAfterEntry", ("ReportingYear",)),
    _snapshot("opening_balances_previous_year", "openingbalance/PreviousYear/AfterEntry",
              "GLAccount", "OpeningBalancePreviousYearAfterEntry", ("ReportingYear",)),
    _snapshot("receivables_list", "read/financial/ReceivablesList", "HID", "ReceivablesList"),
    _snapshot("payables_list", "read/financial/PayablesList", "HID", "PayablesList"),
    _snapshot("aging_receivables_list", "read/financial/AgingReceivablesList", "AccountId",
              "AgingReceivablesList"),
    _snapshot("aging_payables_list", "read/financial/AgingPayablesList", "AccountId",
              "AgingPayablesList"),
)
SPECS: dict[str, StreamSpec] = {spec.name: spec for spec in CATALOG}
#: sync/Deleted EntityType code -> our stream that the deleted row belonged to.
STREAM_OF_ENTITY_TYPE: dict[int, str] = {
    spec.entity_type: spec.name for spec in CATALOG if spec.entity_type is not None
}
#: Streams Exact keeps no deletion log for: the ones ``delete_detection`` may name.
DELETE_DETECTION_STREAMS: tuple[str, ...] = tuple(
    spec.name for spec in CATALOG if spec.family == "modified"
)
#: Fields our schemas add that no Exact endpoint has (never sent in ``$select``).
TAP_FIELDS: dict[str, dict[str, t.Any]] = {
    "EntryModified": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": "Modified of the entry (header) the line belongs to: the replication "
        "key of lines that have no Modified of their own.",
    },
    DELETED_AT: DELETED_AT_SCHEMA,
    "stream_name": {
        "type": ["string", "null"],
        "description": "Our stream the deleted row belonged to (from EntityType); null when "
        "the tap has no stream for that EntityType.",
    },
    "SnapshotTakenAt": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": "When the tap read this report (UTC): Exact's read/ lists describe the "
        "administration at that moment.",
    },
}
