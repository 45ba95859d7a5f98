"""What ``POST /_sandbox/mutate`` can change: per tap stream its table, key and webhook topic.

Tables of :mod:`.mutate`: one-table streams (:data:`SIMPLE`), streams over journal entries
(:data:`ENTRY`), which tables carry a sync Timestamp, which headers own lines.
"""

from __future__ import annotations

from exactonline_sandbox.ledger import BANK, CASH, GENERAL, PURCHASE, SALES

# stream -> (table, key column, touched text column, webhook topic, standard endpoint)
SIMPLE = {
    "gl_accounts": ("glacc", "ID", "SearchCode", "GLAccounts", "financial/GLAccounts"),
    "gl_classifications": ("glclass", "ID", "Description", "GLClassifications",
                           "financial/GLClassifications"),
    "accounts": ("account", "ID", "Remarks", "Accounts", "crm/Accounts"),
    "contacts": ("contact", "ID", "JobTitleDescription", "Contacts", "crm/Contacts"),
    "items": ("item", "ID", "SearchCode", "Items", "logistics/Items"),
    "projects": ("project", "ID", "Description", "Projects", "project/Projects"),
    "time_cost_transactions": ("tct", "ID", "Notes", "TimeTransactions",
                               "project/TimeTransactions"),
    "employees": ("employee", "ID", "City", "Employees", "payroll/Employees"),
    "sales_orders": ("sorder", "ID", "Description", "SalesOrders", "salesorder/SalesOrders"),
    "sales_order_lines": ("soline", "ID", "Description", "SalesOrders",
                          "salesorder/SalesOrderLines"),
    "payments": ("cashflow", "ID", None, "Payments", "cashflow/Payments"),
    "receivables": ("cashflow", "ID", None, "Receivables", "cashflow/Receivables"),
    "journals": ("journal", "ID", "Description", "Journals", "financial/Journals"),
    "cost_centers": ("costcenter", "ID", "Description", "CostCenters", "hrm/Costcenters"),
    "cost_units": ("costunit", "ID", "Description", "CostUnits", "hrm/Costunits"),
    "vat_codes": ("vatcode", "ID", "Description", "VATCodes", "vat/VATCodes"),
    "currencies": ("currency", "Code", "Description", "Currencies", "general/Currencies"),
    "payment_terms": ("cashflow", "ID", None, "Receivables", "cashflow/Receivables"),
    "budgets": ("budget", "ID", None, "Budgets", "budget/Budgets"),
    "exchange_rates": ("xrate", "ID", None, "ExchangeRates", "financial/ExchangeRates"),
    "subscriptions": ("subscr", "EntryID", "Description", "Subscriptions",
                      "subscription/Subscriptions"),
    "subscription_lines": ("subline", "ID", "Description", "Subscriptions",
                           "subscription/SubscriptionLines"),
    "quotations": ("quote", "ID", "Description", "Quotations", "crm/Quotations"),
    "quotation_lines": ("quoteline", "ID", "Description", "Quotations", "crm/QuotationLines"),
    "goods_deliveries": ("delivery", "EntryID", "Description", "GoodsDeliveries",
                         "salesorder/GoodsDeliveries"),
    "goods_delivery_lines": ("deliveryline", "ID", "Description", "GoodsDeliveries",
                             "salesorder/GoodsDeliveryLines"),
}
# Tables with a Timestamp (sync rows): every change gives the row a new one.
SYNC_ROWS = {"glacc", "glclass", "account", "contact", "item", "project", "tct", "employee",
             "sorder", "soline", "cashflow", "subscr", "subline", "quote", "quoteline",
             "delivery", "deliveryline"}
# Deleting a header deletes its lines: header table -> (line table, link column, line stream).
CHILDREN = {"sorder": ("soline", "order_r", "sales_order_lines"),
            "subscr": ("subline", "subscr_r", "subscription_lines"),
            "quote": ("quoteline", "quote_r", "quotation_lines"),
            "delivery": ("deliveryline", "delivery_r", "goods_delivery_lines")}
# Which entries an entry stream changes (SQL condition on table entry).
ENTRY_KIND = {
    SALES: "Type = 20", PURCHASE: "Type = 30", GENERAL: "Type = 90",
    BANK: "Type = 40 AND journal_r IN (SELECT rid FROM journal WHERE Type = 12)",
    CASH: "Type = 40 AND journal_r IN (SELECT rid FROM journal WHERE Type = 10)",
}
# entry-based streams -> (entry Type or None for any, topic, endpoint, key column of entry)
ENTRY = {
    "transaction_lines": (None, "FinancialTransactions", "financialtransaction/Transactions",
                          "EntryID"),
    "sales_entries": (SALES, "SalesEntries", "salesentry/SalesEntries", "EntryID"),
    "sales_entry_lines": (SALES, "SalesEntries", "salesentry/SalesEntries", "EntryID"),
    "purchase_entries": (PURCHASE, "PurchaseEntries", "purchaseentry/PurchaseEntries",
                         "EntryID"),
    "purchase_entry_lines": (PURCHASE, "PurchaseEntries", "purchaseentry/PurchaseEntries",
                             "EntryID"),
    "purchase_invoices": (PURCHASE, "PurchaseInvoices", "purchase/PurchaseInvoices",
                          "PurchaseInvoiceID"),
    "purchase_invoice_lines": (PURCHASE, "PurchaseInvoices", "purchase/PurchaseInvoices",
                               "PurchaseInvoiceID"),
    "general_journal_entries": (GENERAL, "GeneralJournalEntries",
                                "generaljournalentry/GeneralJournalEntries", "EntryID"),
    "general_journal_entry_lines": (GENERAL, "GeneralJournalEntries",
                                    "generaljournalentry/GeneralJournalEntries", "EntryID"),
    "bank_entries": (BANK, "BankEntries", "financialtransaction/BankEntries", "EntryID"),
    "bank_entry_lines": (BANK, "BankEntries", "financialtransaction/BankEntries", "EntryID"),
    "cash_entries": (CASH, "CashEntries", "financialtransaction/CashEntries", "EntryID"),
    "cash_entry_lines": (CASH, "CashEntries", "financialtransaction/CashEntries", "EntryID"),
}
PROTECTED = {"rid", "division", "ID", "Timestamp", "Code", "EntryID", "InvoiceID", "js",
             "tlsnip"}
