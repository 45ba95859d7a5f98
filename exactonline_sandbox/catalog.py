"""The sandbox's endpoint registry: Exact endpoint -> reference entity, view, paging, stream.

Families (fact sheet §4-6, CONTRACTS §1):

* ``sync``: key ``Timestamp`` (rowversion), 1000 rows/page, ``$filter`` on Timestamp only,
  ``__next`` with ``$skiptoken=<last Timestamp>L``;
* ``bulk``: entity key, 1000 rows/page, ``$select`` mandatory;
* ``standard``: entity key, 60 rows/page, ``$skiptoken=guid'<last key>'`` in key order
  (``read/*`` services too: Int64 keys such as ``HID`` page with ``$skiptoken=123L``).

The field list of every endpoint is its entry in ``tap_exactonline/reference/exact_entities.json``
(every field on every row). Two kinds of endpoint, looked up in this order by :func:`lookup`:

1. *specific* ones (:data:`ENDPOINTS`): values from :mod:`.views` over the generated ledger and
   master data, so they reconcile with each other (every endpoint a tap stream reads is one);
2. *generic* ones (:data:`GENERIC`): every other endpoint of the reference, with rows made up
   by :mod:`.generic` from the reference alone (fields, Edm types, key), tied to the division's
   accounts, items, GL accounts, employees and projects where a field names them.

A specific endpoint always wins: adding one for a path (say ``read/financial/ReceivablesList``
computed from the ledger) takes that path out of the generic layer, nothing else to change.
``current/Me``, ``webhooks/WebhookSubscriptions`` and ``read/sync/Sync/SyncTimestamp`` have
routes of their own (:data:`OWN_ROUTES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from exactonline_sandbox import commerceviews as cv
from exactonline_sandbox import masterviews as mv
from exactonline_sandbox import reportviews as rv
from exactonline_sandbox import views as v
from tap_exactonline.reference import entities, sync_bulk_endpoints


def reference() -> dict[str, dict]:
    """``exact_entities.json`` (field lists with Edm types), from the tap's reference data."""
    return entities()


def sync_bulk_flags() -> dict[str, dict]:
    """``exact_sync_bulk_endpoints.json`` (select_star_rejected_per_docs, EntityType codes)."""
    return sync_bulk_endpoints()


@dataclass(frozen=True, eq=False)
class Endpoint:
    """One served Exact endpoint.

    Attributes:
        path: Path under ``/api/v1/{division}/`` (``sync/Financial/TransactionLines``).
        ref: Entry in exact_entities.json giving the field list and Edm types.
        family: ``sync`` | ``bulk`` | ``standard``.
        view: Where the values come from.
        key: Entity key field (``ID``, ``EntryID``, ``Code``...); for sync the row's ``ID``.
        key_kind: ``guid`` | ``int`` | ``int64`` | ``string`` (literal form in URIs and
            skiptokens: ``guid'…'``, ``5``, ``5L``, ``'EUR'``; ``int64`` keys are written
            ``123L``, as ReportingBalance's are).
        where: Extra SQL condition on the view's rows (``None`` = every row).
        type_name: ``__metadata.type``.
        stream: Tap stream served by this endpoint (CONTRACTS §1), if any.
        division_scoped: False for system/Divisions (lists all accessible divisions).
        overrides: (field, SQL) pairs replacing the view's expression for this endpoint.
        generated: True for generic endpoints (table made on first use by :mod:`.generic`).
    """

    path: str
    ref: str
    family: str
    view: v.View
    key: str
    type_name: str
    key_kind: str = "guid"
    where: str | None = None
    stream: str | None = None
    division_scoped: bool = True
    overrides: tuple[tuple[str, str], ...] = ()
    generated: bool = False

    @property
    def page_size(self) -> int:
        """Rows per page: 1000 for sync and bulk, 60 for standard endpoints (fact sheet §4)."""
        return 60 if self.family == "standard" else 1000

    @property
    def fields(self) -> dict[str, str]:
        """Exact field -> Edm type, in reference order."""
        return reference()[self.ref]["fields"]

    @property
    def select_star_rejected(self) -> bool:
        """Exact documents that this sync endpoint refuses ``$select=*``."""
        flags = sync_bulk_flags()["sync_endpoints"].get(self.path, {})
        return bool(flags.get("select_star_rejected_per_docs"))

    def expression(self, field: str) -> str | None:
        """SQL expression for a field's raw value, None when the view leaves it unset."""
        for name, expr in self.overrides:
            if name == field:
                return expr
        return self.view.fields.get(field)


M = "Exact.Web.Api.Models."
LINES = "t.LineNumber > 0 AND t.is_vat = 0"
NEG = (("AmountDC", "-t.AmountDC"), ("AmountFC", "-t.AmountDC"),
       ("VATAmountDC", "-t.AmountVAT"), ("VATAmountFC", "-t.AmountVAT"),
       ("VATBaseAmountDC", "-t.VATBase"), ("VATBaseAmountFC", "-t.VATBase"))
TL_KIND = "t.etype = {0}"
BANK_JOURNAL, CASH_JOURNAL = "j.Type = 12", "j.Type = 10"
CASH_LINES = 41  # tl.etype of cash entry lines (ledger.CASH; Exact's Type is 40)

ENDPOINTS: tuple[Endpoint, ...] = (
    # -- sync ---------------------------------------------------------------------------------
    Endpoint("sync/Financial/TransactionLines", "sync_Financial_TransactionLines", "sync",
             v.TRANSACTION_LINES, "ID", M + "Sync.Financial.TransactionLine",
             stream="transaction_lines"),
    Endpoint("sync/Financial/GLAccounts", "sync_Financial_GLAccounts", "sync", mv.GL_ACCOUNTS,
             "ID", M + "Sync.Financial.GLAccount", stream="gl_accounts"),
    Endpoint("sync/Financial/GLClassifications", "sync_Financial_GLClassifications", "sync",
             mv.GL_CLASSIFICATIONS, "ID", M + "Sync.Financial.GLClassification",
             stream="gl_classifications"),
    Endpoint("sync/SalesInvoice/SalesInvoices", "sync_SalesInvoice_SalesInvoices", "sync",
             v.SALES_INVOICE_ROWS, "ID", M + "Sync.SalesInvoice.SalesInvoice",
             stream="sales_invoices"),
    Endpoint("sync/SalesOrder/SalesOrderHeaders", "sync_SalesOrder_SalesOrderHeaders", "sync",
             cv.SALES_ORDERS, "ID", M + "Sync.SalesOrder.SalesOrderHeader", stream="sales_orders"),
    Endpoint("sync/SalesOrder/SalesOrderLines", "sync_SalesOrder_SalesOrderLines", "sync",
             cv.SALES_ORDER_LINES, "ID", M + "Sync.SalesOrder.SalesOrderLine",
             stream="sales_order_lines"),
    Endpoint("sync/PurchaseOrder/PurchaseOrders", "sync_PurchaseOrder_PurchaseOrders", "sync",
             cv.PURCHASE_ORDER_LINES, "ID", M + "Sync.PurchaseOrder.PurchaseOrder",
             stream="purchase_orders"),
    Endpoint("sync/CRM/Accounts", "sync_CRM_Accounts", "sync", mv.ACCOUNTS, "ID",
             M + "Sync.CRM.Account", stream="accounts"),
    Endpoint("sync/CRM/Contacts", "sync_CRM_Contacts", "sync", mv.CONTACTS, "ID",
             M + "Sync.CRM.Contact", stream="contacts"),
    Endpoint("sync/Logistics/Items", "sync_Logistics_Items", "sync", mv.ITEMS, "ID",
             M + "Sync.Logistics.Item", stream="items"),
    Endpoint("sync/Project/Projects", "sync_Project_Projects", "sync", mv.PROJECTS, "ID",
             M + "Sync.Project.Project", stream="projects"),
    Endpoint("sync/Project/TimeCostTransactions", "sync_Project_TimeCostTransactions", "sync",
             cv.TIME_COST_TRANSACTIONS, "ID", M + "Sync.Project.TimeCostTransaction",
             stream="time_cost_transactions"),
    Endpoint("sync/Payroll/Employees", "sync_Payroll_Employees", "sync", mv.EMPLOYEES, "ID",
             M + "Sync.Payroll.Employee", stream="employees"),
    Endpoint("sync/Deleted", "sync_Deleted", "sync", v.DELETED, "ID", M + "Sync.Deleted",
             stream="deleted"),
    # -- bulk ---------------------------------------------------------------------------------
    Endpoint("bulk/Cashflow/Payments", "bulk_Cashflow_Payments", "bulk", v.CASHFLOW, "ID",
             M + "Cashflow.Payment", where="t.kind = 'P'", stream="payments"),
    Endpoint("bulk/Cashflow/Receivables", "bulk_Cashflow_Receivables", "bulk", v.CASHFLOW, "ID",
             M + "Cashflow.Receivable", where="t.kind = 'R'", stream="receivables"),
    Endpoint("bulk/Financial/TransactionLines", "bulk_Financial_TransactionLines", "bulk",
             v.TRANSACTION_LINES, "ID", M + "Financial.TransactionLine"),
    Endpoint("bulk/CRM/Accounts", "bulk_CRM_Accounts", "bulk", mv.ACCOUNTS, "ID", M + "Account"),
    Endpoint("bulk/Financial/GLAccounts", "bulk_Financial_GLAccounts", "bulk", mv.GL_ACCOUNTS,
             "ID", M + "GLAccount"),
    # -- standard: entries and lines (views over the same transaction lines) --------------------
    Endpoint("salesentry/SalesEntries", "SalesEntries", "standard", v.ENTRIES, "EntryID",
             M + "SalesEntry", where="t.Type = 20", stream="sales_entries"),
    Endpoint("salesentry/SalesEntryLines", "SalesEntryLines", "standard", v.TRANSACTION_LINES,
             "ID", M + "SalesEntryLine", where=f"{LINES} AND " + TL_KIND.format(20),
             stream="sales_entry_lines", overrides=NEG),
    Endpoint("purchaseentry/PurchaseEntries", "PurchaseEntries", "standard", v.ENTRIES,
             "EntryID", M + "PurchaseEntry", where="t.Type = 30", stream="purchase_entries"),
    Endpoint("purchaseentry/PurchaseEntryLines", "PurchaseEntryLines", "standard",
             v.TRANSACTION_LINES, "ID", M + "PurchaseEntryLine",
             where=f"{LINES} AND " + TL_KIND.format(30), stream="purchase_entry_lines"),
    Endpoint("generaljournalentry/GeneralJournalEntries", "GeneralJournalEntries", "standard",
             v.ENTRIES, "EntryID", M + "GeneralJournalEntry", where="t.Type = 90",
             stream="general_journal_entries"),
    Endpoint("generaljournalentry/GeneralJournalEntryLines", "GeneralJournalEntryLines",
             "standard", v.TRANSACTION_LINES, "ID", M + "GeneralJournalEntryLine",
             where=f"{LINES} AND " + TL_KIND.format(90), stream="general_journal_entry_lines"),
    Endpoint("financialtransaction/BankEntries", "BankEntries", "standard", v.ENTRIES,
             "EntryID", M + "BankEntry", where=f"t.Type = 40 AND {BANK_JOURNAL}",
             stream="bank_entries"),
    Endpoint("financialtransaction/BankEntryLines", "BankEntryLines", "standard",
             v.TRANSACTION_LINES, "ID", M + "BankEntryLine",
             where=f"{LINES} AND " + TL_KIND.format(40), stream="bank_entry_lines"),
    Endpoint("financialtransaction/CashEntries", "CashEntries", "standard", v.ENTRIES,
             "EntryID", M + "CashEntry", where=f"t.Type = 40 AND {CASH_JOURNAL}",
             stream="cash_entries"),
    Endpoint("financialtransaction/CashEntryLines", "CashEntryLines", "standard",
             v.TRANSACTION_LINES, "ID", M + "CashEntryLine",
             where=f"{LINES} AND " + TL_KIND.format(CASH_LINES), stream="cash_entry_lines"),
    Endpoint("financialtransaction/TransactionLines", "TransactionLines", "standard",
             v.TRANSACTION_LINES, "ID", M + "TransactionLine"),
    Endpoint("financialtransaction/Transactions", "Transactions", "standard", v.ENTRIES,
             "EntryID", M + "Transaction"),
    Endpoint("purchase/PurchaseInvoices", "PurchaseInvoices", "standard", v.ENTRIES, "ID",
             M + "Purchase.PurchaseInvoice", where="t.Type = 30", stream="purchase_invoices",
             overrides=(("Type", "8030"), ("Status", "CASE t.Status WHEN 50 THEN 30 ELSE 10 END"),
                        ("Journal", "j.Code"), ("Remarks", "t.Description"))),
    Endpoint("purchase/PurchaseInvoiceLines", "PurchaseInvoiceLines", "standard",
             v.TRANSACTION_LINES, "ID", M + "Purchase.PurchaseInvoiceLine",
             where=f"{LINES} AND " + TL_KIND.format(30), stream="purchase_invoice_lines",
             overrides=(("InvoiceID", "e.PurchaseInvoiceID"),
                        ("VATAmount", "t.AmountVAT"), ("InvoiceType", "8030"),
                        ("UnitPrice", "round(t.AmountFC / t.Quantity, 2)"),
                        ("NetPrice", "round(t.AmountFC / t.Quantity, 2)"), ("Amount", "t.AmountFC"),
                        ("Currency", "t.Currency"), ("Modified", "e.Modified"), ("Rebill", "0"),
                        ("CostCenter", "cc.Code"), ("CostUnit", "cu.Code"))),
    # -- standard: master data and documents -----------------------------------------------------
    Endpoint("crm/Accounts", "Accounts", "standard", mv.ACCOUNTS, "ID", M + "Account"),
    Endpoint("crm/Contacts", "Contacts", "standard", mv.CONTACTS, "ID", M + "Contact"),
    Endpoint("financial/GLAccounts", "GLAccounts", "standard", mv.GL_ACCOUNTS, "ID",
             M + "GLAccount"),
    Endpoint("financial/GLClassifications", "GLClassifications", "standard",
             mv.GL_CLASSIFICATIONS, "ID", M + "GLClassification"),
    Endpoint("salesinvoice/SalesInvoices", "SalesInvoices", "standard", v.SALES_INVOICES,
             "InvoiceID", M + "SalesInvoice"),
    Endpoint("salesinvoice/SalesInvoiceLines", "SalesInvoiceLines", "standard",
             v.SALES_INVOICE_ROWS, "ID", M + "SalesInvoiceLine", where="t.LineNumber > 0"),
    Endpoint("salesorder/SalesOrders", "SalesOrders", "standard", cv.SALES_ORDERS, "OrderID",
             M + "SalesOrder"),
    Endpoint("salesorder/SalesOrderLines", "SalesOrderLines", "standard", cv.SALES_ORDER_LINES,
             "ID", M + "SalesOrderLine"),
    Endpoint("purchaseorder/PurchaseOrders", "PurchaseOrders", "standard", cv.PURCHASE_ORDERS,
             "PurchaseOrderID", M + "PurchaseOrder"),
    Endpoint("purchaseorder/PurchaseOrderLines", "PurchaseOrderLines", "standard",
             cv.PURCHASE_ORDER_LINES, "ID", M + "PurchaseOrderLine"),
    Endpoint("logistics/Items", "Items", "standard", mv.ITEMS, "ID", M + "Item"),
    Endpoint("payroll/Employees", "Employees", "standard", mv.EMPLOYEES, "ID", M + "Employee"),
    Endpoint("project/Projects", "Projects", "standard", mv.PROJECTS, "ID", M + "Project"),
    Endpoint("project/TimeTransactions", "TimeTransactions", "standard",
             cv.TIME_COST_TRANSACTIONS, "ID", M + "TimeTransaction", where="t.Type = 1"),
    Endpoint("cashflow/Payments", "Payments", "standard", v.CASHFLOW, "ID", M + "Payment",
             where="t.kind = 'P'"),
    Endpoint("cashflow/Receivables", "Receivables", "standard", v.CASHFLOW, "ID",
             M + "Receivable", where="t.kind = 'R'"),
    # -- full-table reference data ---------------------------------------------------------------
    Endpoint("financial/Journals", "Journals", "standard", mv.JOURNALS, "ID", M + "Journal",
             stream="journals"),
    Endpoint("hrm/Costcenters", "CostCenters", "standard", mv.COST_CENTERS, "ID",
             M + "HRM.Costcenter", stream="cost_centers"),
    Endpoint("hrm/Costunits", "CostUnits", "standard", mv.COST_UNITS, "ID", M + "HRM.Costunit",
             stream="cost_units"),
    Endpoint("system/Divisions", "Divisions", "standard", mv.DIVISIONS, "Code",
             M + "System.Division", key_kind="int", stream="divisions", division_scoped=False),
    Endpoint("vat/VATCodes", "VATCodes", "standard", mv.VAT_CODES, "ID", M + "VAT.VATCode",
             stream="vat_codes"),
    Endpoint("general/Currencies", "Currencies", "standard", mv.CURRENCIES, "Code",
             M + "General.Currency", key_kind="string", stream="currencies"),
    # -- finance reporting: Exact's reports derived from the ledger (reports.py) ---------------
    Endpoint("financial/ReportingBalance", "ReportingBalance", "standard",
             rv.REPORTING_BALANCE, "ID", M + "Financial.ReportingBalance", key_kind="int64",
             stream="reporting_balances"),
    Endpoint("openingbalance/CurrentYear/AfterEntry", "OpeningBalanceCurrentYearAfterEntry",
             "standard", rv.OPENING_BALANCES, "GLAccount",
             M + "OpeningBalance.CurrentYearAfterEntry", where="t.which = 'C'",
             stream="opening_balances_current_year"),
    Endpoint("openingbalance/PreviousYear/AfterEntry", "OpeningBalancePreviousYearAfterEntry",
             "standard", rv.OPENING_BALANCES, "GLAccount",
             M + "OpeningBalance.PreviousYearAfterEntry", where="t.which = 'P'",
             stream="opening_balances_previous_year"),
    Endpoint("read/financial/ReceivablesList", "ReceivablesList", "standard", rv.OPEN_ITEMS,
             "HID", M + "Financial.ReceivablesList", key_kind="int64", where="t.kind = 'R'",
             stream="receivables_list"),
    Endpoint("read/financial/PayablesList", "PayablesList", "standard", rv.OPEN_ITEMS, "HID",
             M + "Financial.PayablesList", key_kind="int64", where="t.kind = 'P'",
             stream="payables_list"),
    Endpoint("read/financial/AgingReceivablesList", "AgingReceivablesList", "standard",
             rv.AGING, "AccountId", M + "Financial.AgingReceivablesList", where="t.kind = 'R'",
             stream="aging_receivables_list"),
    Endpoint("read/financial/AgingPayablesList", "AgingPayablesList", "standard", rv.AGING,
             "AccountId", M + "Financial.AgingPayablesList", where="t.kind = 'P'",
             stream="aging_payables_list"),
    Endpoint("financial/FinancialPeriods", "FinancialPeriods", "standard",
             rv.FINANCIAL_PERIODS, "ID", M + "Financial.FinancialPeriod",
             stream="financial_periods"),
    Endpoint("financial/ExchangeRates", "ExchangeRates", "standard", rv.EXCHANGE_RATES, "ID",
             M + "Financial.ExchangeRate", stream="exchange_rates"),
    Endpoint("financial/GLSchemes", "GLSchemes", "standard", rv.GL_SCHEMES, "ID",
             M + "Financial.GLScheme", stream="gl_schemes"),
    Endpoint("financial/GLAccountClassificationMappings", "GLAccountClassificationMappings",
             "standard", rv.GL_ACCOUNT_CLASSIFICATION_MAPPINGS, "ID",
             M + "Financial.GLAccountClassificationMapping",
             stream="gl_account_classification_mappings"),
    Endpoint("budget/Budgets", "Budgets", "standard", rv.BUDGETS, "ID", M + "Budget.Budget",
             stream="budgets"),
    # -- sync: payment terms and the order-to-cash documents ------------------------------------
    Endpoint("sync/Cashflow/PaymentTerms", "sync_Cashflow_PaymentTerms", "sync",
             rv.PAYMENT_TERMS, "ID", M + "Sync.Cashflow.PaymentTerm", stream="payment_terms"),
    Endpoint("sync/CRM/QuotationHeaders", "sync_CRM_QuotationHeaders", "sync", cv.QUOTATIONS,
             "ID", M + "Sync.CRM.QuotationHeader", stream="quotations"),
    Endpoint("sync/CRM/QuotationLines", "sync_CRM_QuotationLines", "sync", cv.QUOTATION_LINES,
             "ID", M + "Sync.CRM.QuotationLine", stream="quotation_lines"),
    Endpoint("sync/Subscription/Subscriptions", "sync_Subscription_Subscriptions", "sync",
             cv.SUBSCRIPTIONS, "EntryID", M + "Sync.Subscription.Subscription",
             stream="subscriptions"),
    Endpoint("sync/Subscription/SubscriptionLines", "sync_Subscription_SubscriptionLines",
             "sync", cv.SUBSCRIPTION_LINES, "ID", M + "Sync.Subscription.SubscriptionLine",
             stream="subscription_lines"),
    Endpoint("sync/SalesOrder/GoodsDeliveries", "sync_SalesOrder_GoodsDeliveries", "sync",
             cv.GOODS_DELIVERIES, "EntryID", M + "Sync.SalesOrder.GoodsDelivery",
             stream="goods_deliveries"),
    Endpoint("sync/SalesOrder/GoodsDeliveryLines", "sync_SalesOrder_GoodsDeliveryLines", "sync",
             cv.GOODS_DELIVERY_LINES, "ID", M + "Sync.SalesOrder.GoodsDeliveryLine",
             stream="goods_delivery_lines"),
    Endpoint("hrm/Divisions", "HrmDivisions", "standard", mv.DIVISIONS, "Code",
             M + "HRM.Division", key_kind="int", division_scoped=False),
    # -- bulk twins of the standard endpoints above (same rows, 1000 a page) -------------------
    Endpoint("bulk/CRM/Contacts", "bulk_CRM_Contacts", "bulk", mv.CONTACTS, "ID", M + "Contact"),
    Endpoint("bulk/Financial/GLClassifications", "bulk_Financial_GLClassifications", "bulk",
             mv.GL_CLASSIFICATIONS, "ID", M + "GLClassification"),
    Endpoint("bulk/Logistics/Items", "bulk_Logistics_Items", "bulk", mv.ITEMS, "ID", M + "Item"),
    Endpoint("bulk/SalesInvoice/SalesInvoices", "bulk_SalesInvoice_SalesInvoices", "bulk",
             v.SALES_INVOICES, "InvoiceID", M + "SalesInvoice"),
    Endpoint("bulk/SalesInvoice/SalesInvoiceLines", "bulk_SalesInvoice_SalesInvoiceLines",
             "bulk", v.SALES_INVOICE_ROWS, "ID", M + "SalesInvoiceLine", where="t.LineNumber > 0"),
    Endpoint("bulk/SalesOrder/SalesOrders", "bulk_SalesOrder_SalesOrders", "bulk",
             cv.SALES_ORDERS, "OrderID", M + "SalesOrder"),
    Endpoint("bulk/SalesOrder/SalesOrderLines", "bulk_SalesOrder_SalesOrderLines", "bulk",
             cv.SALES_ORDER_LINES, "ID", M + "SalesOrderLine"),
)

BY_PATH: dict[str, Endpoint] = {ep.path.lower(): ep for ep in ENDPOINTS}
BY_STREAM: dict[str, Endpoint] = {ep.stream: ep for ep in ENDPOINTS if ep.stream}

# Tap stream -> sync/Deleted EntityType code (CONTRACTS §1; fact sheet §5).
ENTITY_TYPES = {
    "transaction_lines": 1, "accounts": 2, "contacts": 5, "gl_accounts": 7, "items": 9,
    "sales_invoices": 13, "time_cost_transactions": 14, "gl_classifications": 18,
    "projects": 21, "purchase_orders": 22, "sales_orders": 32, "sales_order_lines": 33,
    "employees": 42, "payment_terms": 10, "goods_deliveries": 16, "goods_delivery_lines": 17,
    "subscriptions": 23, "subscription_lines": 24, "quotations": 34, "quotation_lines": 35,
}

# $expand: (parent endpoint, navigation property) -> (child endpoint, parent key, child field).
EXPANDS = {
    ("salesinvoice/SalesInvoices", "SalesInvoiceLines"):
        ("salesinvoice/SalesInvoiceLines", "InvoiceID", "InvoiceID"),
    ("salesentry/SalesEntries", "SalesEntryLines"):
        ("salesentry/SalesEntryLines", "EntryID", "EntryID"),
    ("purchaseentry/PurchaseEntries", "PurchaseEntryLines"):
        ("purchaseentry/PurchaseEntryLines", "EntryID", "EntryID"),
    ("generaljournalentry/GeneralJournalEntries", "GeneralJournalEntryLines"):
        ("generaljournalentry/GeneralJournalEntryLines", "EntryID", "EntryID"),
    ("financialtransaction/BankEntries", "BankEntryLines"):
        ("financialtransaction/BankEntryLines", "EntryID", "EntryID"),
    ("purchase/PurchaseInvoices", "PurchaseInvoiceLines"):
        ("purchase/PurchaseInvoiceLines", "ID", "InvoiceID"),
    ("salesorder/SalesOrders", "SalesOrderLines"):
        ("salesorder/SalesOrderLines", "OrderID", "OrderID"),
    ("purchaseorder/PurchaseOrders", "PurchaseOrderLines"):
        ("purchaseorder/PurchaseOrderLines", "PurchaseOrderID", "PurchaseOrderID"),
    ("financialtransaction/CashEntries", "CashEntryLines"):
        ("financialtransaction/CashEntryLines", "EntryID", "EntryID"),
    ("financialtransaction/Transactions", "TransactionLines"):
        ("financialtransaction/TransactionLines", "EntryID", "EntryID"),
    ("bulk/SalesInvoice/SalesInvoices", "SalesInvoiceLines"):
        ("bulk/SalesInvoice/SalesInvoiceLines", "InvoiceID", "InvoiceID"),
    ("bulk/SalesOrder/SalesOrders", "SalesOrderLines"):
        ("bulk/SalesOrder/SalesOrderLines", "OrderID", "OrderID"),
}

# SyncTimestamp endPoint values (fact sheet §5) that the sandbox serves.
SYNC_TIMESTAMP_ENDPOINTS = {
    "TransactionLines", "PurchaseOrders", "Projects", "TimeCostTransactions", "SalesInvoices",
    "SalesOrderHeaders", "SalesOrderLines", "QuotationHeaders", "QuotationLines",
    "GoodsDeliveries", "GoodsDeliveryLines", "Subscriptions", "SubscriptionLines",
}


#: Bump when the generic rows change: tables are named ``gen<version>_<path>``, so a --db file
#: made by another version gets new tables (and :func:`.build.build` drops the old ones).
GENERIC_VERSION = 1

# Reference entries served by routes of their own, never by the generic layer.
OWN_ROUTES = {"current/Me", "webhooks/WebhookSubscriptions", "read/sync/Sync/SyncTimestamp"}


def singular(name: str) -> str:
    """``Addresses`` -> ``Address``, ``GoodsDeliveries`` -> ``GoodsDelivery``."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "shes", "ches")):
        return name[:-2]
    if name.endswith("s") and not name.endswith(("ss", "us", "WBS")):
        return name[:-1]
    return name


def stored(edm: str) -> bool:
    """Whether a generic table keeps a column for a field of this Edm type.

    Navigation, complex and binary properties have none: they render as deferred links or null.
    """
    return edm.startswith("Edm.") and edm != "Edm.Binary"


def _generic_endpoint(ref_name: str, entry: dict) -> Endpoint:
    """A generic endpoint for a reference entry: family, key and its kind, type, own table."""
    path = entry["endpoint"]
    parts = path.split("/")
    family = parts[0] if parts[0] in ("sync", "bulk") else "standard"
    fields = entry["fields"]
    key = entry.get("key") or "ID"
    if family == "sync":
        key = "ID" if "ID" in fields else "Timestamp"
        service = "Sync." + ".".join(parts[1:-1])
    elif family == "bulk":
        service = ".".join(parts[1:-1])
    else:
        service = ".".join(part.upper() if len(part) <= 3 else part.capitalize()
                           for part in parts[1 if parts[0] == "read" else 0:-1])
    kind = {"Edm.Guid": "guid", "Edm.Int64": "int64", "Edm.String": "string"}.get(
        fields.get(key, ""), "int")
    if family == "sync":
        kind = "int64"
    name = parts[-1] if path.startswith("read/") else singular(parts[-1])
    table = f"gen{GENERIC_VERSION}_" + re.sub(r"[^a-z0-9]+", "_", path.lower())
    # Columns c0, c1, ... (field names may be SQL keywords or differ only in case); Timestamp
    # keeps its name so code that walks every sync table (a division move) finds it.
    columns = {field: "t.Timestamp" if field == "Timestamp" else f"t.c{i}"
               for i, (field, edm) in enumerate(fields.items()) if stored(edm)}
    if "Division" in fields:
        columns["Division"] = "t.division"
    view = v.View(table=table, fields=columns)
    return Endpoint(path, ref_name, family, view, key, f"{M}{service}.{name}", key_kind=kind,
                    generated=True)


@cache
def generic_endpoints() -> dict[str, Endpoint]:
    """Lower-case path -> generic endpoint, for every reference entry without a specific one."""
    out: dict[str, Endpoint] = {}
    for name, entry in reference().items():
        path = entry.get("endpoint") if isinstance(entry, dict) else None
        if not path or path in OWN_ROUTES or path.lower() in BY_PATH:
            continue
        out[path.lower()] = _generic_endpoint(name, entry)
    return out


def lookup(path: str) -> Endpoint | None:
    """The endpoint for a path under ``/api/v1/{division}/`` (Exact paths are case-insensitive).

    A specific endpoint (:data:`ENDPOINTS`) wins over a generic one for the same path.
    """
    key = path.strip("/").lower()
    return BY_PATH.get(key) or generic_endpoints().get(key)


def navigation_target(ep: Endpoint, nav: str) -> tuple[Endpoint, str, str] | None:
    """What ``$expand=nav`` on ``ep`` brings: (child endpoint, parent key field, child field).

    ``None`` when ``nav`` is a navigation property whose rows the sandbox does not have (its
    entity is not in the reference, e.g. ``crm/Accounts`` -> ``BankAccounts``): the expansion is
    then an empty ``{"results": []}``.

    Raises:
        KeyError: ``nav`` is not a navigation property of ``ep``.
    """
    edm = ep.fields.get(nav, "Edm.")
    if edm.startswith(("Edm.", "Exact.")):
        raise KeyError(nav)
    if (ep.path, nav) in EXPANDS:
        child_path, parent_key, child_field = EXPANDS[(ep.path, nav)]
        child = lookup(child_path)
        return None if child is None else (child, parent_key, child_field)
    entity = edm.split(":", 1)[-1]
    service = ep.path.rsplit("/", 1)[0]
    for name in (nav, entity):
        child = lookup(f"{service}/{name}")
        if child is None:
            continue
        parent_key = ep.key if ep.family != "sync" else next(
            (f for f in ("EntryID", f"{singular(ep.path.rsplit('/', 1)[1])}ID", "ID")
             if f in ep.fields), "ID")
        for child_field in (parent_key, singular(ep.path.rsplit("/", 1)[1])):
            if child_field in child.fields:
                return child, parent_key, child_field
    return None
