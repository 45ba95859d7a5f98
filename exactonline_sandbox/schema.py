"""SQLite schema of the sandbox's accounting data (one database, every division in it).

Column names are Exact's field names where a column stores a field; ``*_r`` columns are rowid
references to another table (``gl_r`` -> ``glacc.rid``). Dates are integers: wall-clock
milliseconds (Europe/Amsterdam time written as if UTC, the way Exact's ``/Date(ms)/`` does),
declared ``DATE`` when the column holds a calendar date (always a wall-clock midnight) and
``DATETIME`` when it holds a moment; :mod:`.canonical` reads these declarations. Amounts are REAL
rounded to cents; booleans 0/1. ``Timestamp`` is the per-division rowversion.
"""

from __future__ import annotations

TABLES: dict[str, str] = {
    "meta": "key TEXT PRIMARY KEY, value TEXT",
    "divs": ("rid INTEGER PRIMARY KEY, division INTEGER, Code INTEGER, Description TEXT, "
             "Hid INTEGER, City TEXT, Customer TEXT, CustomerCode TEXT, CustomerName TEXT, "
             "VATNumber TEXT, ChamberOfCommerceNumber TEXT, Email TEXT, StartDate DATE, "
             "DivisionMoveDate DATETIME, Created DATETIME, Modified DATETIME, ArchiveDate DATE, "
             "HRLinkUnlinkDate DATETIME, FiscalStartMonth INTEGER"),
    "glclass": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
                "Code TEXT, Name TEXT, Description TEXT, Parent TEXT, Balance TEXT, "
                "Abstract INTEGER, Created DATETIME, Modified DATETIME, TaxonomyNamespace TEXT, "
                "TaxonomyNamespaceDescription TEXT"),
    "glacc": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, Code TEXT, "
              "Description TEXT, SearchCode TEXT, BalanceSide TEXT, BalanceType TEXT, "
              "Type INTEGER, TypeDescription TEXT, VATCode TEXT, class_r INTEGER, "
              "Created DATETIME, Modified DATETIME, tlsnip TEXT"),
    "costcenter": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Code TEXT, "
                   "Description TEXT, Active INTEGER, Created DATETIME, Modified DATETIME, "
                   "tlsnip TEXT, EndDate DATE"),
    "costunit": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Code TEXT, "
                 "Description TEXT, Active INTEGER, Created DATETIME, Modified DATETIME, "
                 "tlsnip TEXT, EndDate DATE"),
    "vatcode": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Code TEXT, "
                "Description TEXT, Percentage REAL, Type TEXT, Charged INTEGER, "
                "glpay_r INTEGER, glclaim_r INTEGER, Created DATETIME, Modified DATETIME, "
                "tlsnip TEXT"),
    "currency": ("rid INTEGER PRIMARY KEY, division INTEGER, Code TEXT, Description TEXT, "
                 "AmountPrecision REAL, PricePrecision REAL, Created DATETIME, Modified DATETIME"),
    "journal": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Code TEXT, "
                "Description TEXT, Type INTEGER, gl_r INTEGER, IBAN TEXT, Created DATETIME, "
                "Modified DATETIME"),
    "account": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
                "Code TEXT, Name TEXT, SearchCode TEXT, IsSupplier INTEGER, IsSales INTEGER, "
                "Status TEXT, City TEXT, Country TEXT, Postcode TEXT, AddressLine1 TEXT, "
                "Email TEXT, Phone TEXT, Website TEXT, VATNumber TEXT, ChamberOfCommerce TEXT, "
                "Remarks TEXT, Created DATETIME, Modified DATETIME, tlsnip TEXT, StartDate DATE, "
                "EndDate DATE, ControlledDate DATE, EstablishedDate DATE, Currency TEXT"),
    "contact": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
                "account_r INTEGER, FirstName TEXT, LastName TEXT, FullName TEXT, "
                "Initials TEXT, Gender TEXT, Email TEXT, Phone TEXT, JobTitleDescription TEXT, "
                "IsMainContact INTEGER, HID INTEGER, Created DATETIME, Modified DATETIME, "
                "StartDate DATE, BirthDate DATE, EndDate DATE, IdentificationDate DATE"),
    "item": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, Code TEXT, "
             "Description TEXT, SearchCode TEXT, CostPriceStandard REAL, "
             "StandardSalesPrice REAL, Unit TEXT, UnitDescription TEXT, IsSalesItem INTEGER, "
             "IsPurchaseItem INTEGER, IsStockItem INTEGER, IsTime INTEGER, Stock REAL, "
             "glrev_r INTEGER, glcost_r INTEGER, SalesVatCode TEXT, Created DATETIME, "
             "Modified DATETIME, tlsnip TEXT, StartDate DATE, EndDate DATE, FreeDate DATE"),
    "employee": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
                 "Code TEXT, FirstName TEXT, LastName TEXT, FullName TEXT, Initials TEXT, "
                 "Gender TEXT, Email TEXT, City TEXT, BirthDate DATE, StartDate DATE, "
                 "EndDate DATE, HID INTEGER, Created DATETIME, Modified DATETIME, "
                 "MaritalDate DATE"),
    "project": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
                "Code TEXT, Description TEXT, account_r INTEGER, manager_r INTEGER, "
                "StartDate DATE, EndDate DATE, Type INTEGER, BudgetedAmount REAL, "
                "BudgetedCosts REAL, Created DATETIME, Modified DATETIME, tlsnip TEXT"),
    "tct": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
            "project_r INTEGER, employee_r INTEGER, item_r INTEGER, Date DATE, "
            "Quantity REAL, PriceFC REAL, AmountFC REAL, Type INTEGER, HourStatus INTEGER, "
            "EntryNumber INTEGER, Notes TEXT, Created DATETIME, Modified DATETIME"),
    "entry": ("rid INTEGER PRIMARY KEY, division INTEGER, EntryID TEXT, EntryNumber INTEGER, "
              "Type INTEGER, journal_r INTEGER, Date DATE, DueDate DATE, "
              "FinancialYear INTEGER, FinancialPeriod INTEGER, account_r INTEGER, "
              "Description TEXT, InvoiceNumber INTEGER, YourRef TEXT, PaymentReference TEXT, "
              "AmountDC REAL, VATAmountDC REAL, Status INTEGER, PurchaseInvoiceID TEXT, "
              "Created DATETIME, Modified DATETIME, js TEXT, Currency TEXT, Rate REAL, "
              "AmountFC REAL"),
    "tl": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
           "entry_r INTEGER, etype INTEGER, LineNumber INTEGER, gl_r INTEGER, "
           "account_r INTEGER, AmountDC REAL, AmountVAT REAL, VATBase REAL, vat_r INTEGER, "
           "cc_r INTEGER, cu_r INTEGER, project_r INTEGER, item_r INTEGER, Quantity REAL, "
           "Description TEXT, is_vat INTEGER, js TEXT, AmountFC REAL, InvoiceNumber INTEGER, "
           "match_r INTEGER, Currency TEXT, Rate REAL, VATBaseFC REAL"),
    "invoice": ("rid INTEGER PRIMARY KEY, division INTEGER, InvoiceID TEXT, "
                "InvoiceNumber INTEGER, InvoiceDate DATE, DueDate DATE, "
                "OrderDate DATE, OrderNumber INTEGER, account_r INTEGER, journal_r INTEGER, "
                "Description TEXT, Remarks TEXT, YourRef TEXT, Status INTEGER, AmountDC REAL, "
                "AmountFCExclVat REAL, VATAmountDC REAL, entry_r INTEGER, Created DATETIME, "
                "Modified DATETIME"),
    "sinv": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
             "invoice_r INTEGER, LineNumber INTEGER, item_r INTEGER, Quantity REAL, "
             "UnitPrice REAL, AmountDC REAL, VATAmountDC REAL, vat_r INTEGER, gl_r INTEGER, "
             "cc_r INTEGER, cu_r INTEGER, Description TEXT"),
    "sorder": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
               "OrderNumber INTEGER, OrderDate DATE, DeliveryDate DATE, "
               "account_r INTEGER, Description TEXT, YourRef TEXT, AmountDC REAL, "
               "AmountFCExclVat REAL, Status INTEGER, DeliveryStatus INTEGER, "
               "InvoiceStatus INTEGER, Created DATETIME, Modified DATETIME"),
    "soline": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
               "order_r INTEGER, LineNumber INTEGER, item_r INTEGER, Quantity REAL, "
               "QuantityDelivered REAL, UnitPrice REAL, AmountDC REAL, VATAmount REAL, "
               "vat_r INTEGER, Description TEXT, Created DATETIME, Modified DATETIME"),
    "porder": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, OrderNumber INTEGER, "
               "OrderDate DATE, ReceiptDate DATE, account_r INTEGER, Description TEXT, "
               "AmountDC REAL, VATAmount REAL, OrderStatus INTEGER, ReceiptStatus INTEGER, "
               "InvoiceStatus INTEGER, Created DATETIME, Modified DATETIME"),
    "poline": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
               "order_r INTEGER, LineNumber INTEGER, item_r INTEGER, Quantity REAL, "
               "ReceivedQuantity REAL, UnitPrice REAL, AmountDC REAL, VATAmount REAL, "
               "vat_r INTEGER"),
    "cashflow": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, kind TEXT, "
                 "account_r INTEGER, gl_r INTEGER, entry_r INTEGER, AmountDC REAL, "
                 "Status INTEGER, PaidDate DATE, Created DATETIME, Modified DATETIME, "
                 "Timestamp INTEGER"),
    "deleted": ("rid INTEGER PRIMARY KEY, division INTEGER, Timestamp INTEGER, ID TEXT, "
                "EntityKey TEXT, EntityType INTEGER, DeletedDate DATETIME"),
    # -- fiscal calendar, currencies, reporting scheme, budgets (fiscal.py) --------------------
    "finperiod": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, FinYear INTEGER, "
                  "FinPeriod INTEGER, StartDate DATE, EndDate DATE, Created DATETIME, "
                  "Modified DATETIME"),
    "xrate": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, SourceCurrency TEXT, "
              "TargetCurrency TEXT, Rate REAL, StartDate DATE, Created DATETIME, "
              "Modified DATETIME"),
    "glscheme": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Code TEXT, "
                 "Description TEXT, Main INTEGER, TargetNamespace TEXT, Created DATETIME, "
                 "Modified DATETIME"),
    "glmap": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, gl_r INTEGER, "
              "class_r INTEGER, scheme_r INTEGER"),
    "budget": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, ScenarioID TEXT, "
               "ScenarioCode TEXT, ScenarioDescription TEXT, gl_r INTEGER, "
               "ReportingYear INTEGER, ReportingPeriod INTEGER, AmountDC REAL, "
               "Created DATETIME, Modified DATETIME"),
    # -- order-to-cash documents (commerce.py) -------------------------------------------------
    "subscr": ("rid INTEGER PRIMARY KEY, division INTEGER, EntryID TEXT, Timestamp INTEGER, "
               "Number INTEGER, Description TEXT, account_r INTEGER, StartDate DATE, "
               "EndDate DATE, InvoicingStartDate DATE, TypeCode TEXT, "
               "TypeDescription TEXT, Created DATETIME, Modified DATETIME"),
    "subline": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
                "subscr_r INTEGER, LineNumber INTEGER, item_r INTEGER, Quantity REAL, "
                "UnitPrice REAL, AmountDC REAL, FromDate DATE, ToDate DATE, "
                "Description TEXT, Modified DATETIME"),
    "quote": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
              "QuotationNumber INTEGER, QuotationDate DATE, DueDate DATE, "
              "ClosingDate DATE, account_r INTEGER, Description TEXT, Status INTEGER, "
              "AmountDC REAL, VATAmount REAL, Created DATETIME, Modified DATETIME"),
    "quoteline": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
                  "quote_r INTEGER, LineNumber INTEGER, item_r INTEGER, Quantity REAL, "
                  "UnitPrice REAL, AmountDC REAL, VATAmount REAL, vat_r INTEGER, "
                  "Description TEXT, Modified DATETIME"),
    "delivery": ("rid INTEGER PRIMARY KEY, division INTEGER, EntryID TEXT, Timestamp INTEGER, "
                 "DeliveryNumber INTEGER, DeliveryDate DATE, account_r INTEGER, "
                 "order_r INTEGER, Description TEXT, Created DATETIME, Modified DATETIME"),
    "deliveryline": ("rid INTEGER PRIMARY KEY, division INTEGER, ID TEXT, Timestamp INTEGER, "
                     "delivery_r INTEGER, LineNumber INTEGER, soline_r INTEGER, "
                     "item_r INTEGER, QuantityOrdered REAL, QuantityDelivered REAL, "
                     "Description TEXT, Modified DATETIME"),
    # -- Exact's reports, derived from the ledger (reports.py; rebuilt after changes) -----------
    "rbal": ("rid INTEGER PRIMARY KEY, division INTEGER, ReportingYear INTEGER, "
             "ReportingPeriod INTEGER, gl_r INTEGER, cc_r INTEGER, cu_r INTEGER, "
             "Type INTEGER, Status INTEGER, Amount REAL, AmountDebit REAL, "
             "AmountCredit REAL, Count INTEGER"),
    "obal": ("rid INTEGER PRIMARY KEY, division INTEGER, which TEXT, ReportingYear INTEGER, "
             "gl_r INTEGER, Amount REAL"),
    "openitem": ("rid INTEGER PRIMARY KEY, division INTEGER, kind TEXT, cash_r INTEGER, "
                 "account_r INTEGER, entry_r INTEGER, Amount REAL, AmountDC REAL, "
                 "Currency TEXT"),
    "aging": ("rid INTEGER PRIMARY KEY, division INTEGER, kind TEXT, account_r INTEGER, "
              "Currency TEXT, Group1 REAL, Group2 REAL, Group3 REAL, Group4 REAL, "
              "Total REAL"),
}


SYNC_TABLES = ("glclass", "glacc", "account", "contact", "item", "employee", "project", "tct",
               "tl", "sinv", "sorder", "soline", "poline", "deleted", "cashflow", "subscr",
               "subline", "quote", "quoteline", "delivery", "deliveryline")

INDEXES = [
    *(f"CREATE INDEX IF NOT EXISTS ix_{t}_ts ON {t}(division, Timestamp)" for t in SYNC_TABLES),
    *(f"CREATE INDEX IF NOT EXISTS ix_{t}_id ON {t}(division, ID)" for t in (
        "glclass", "glacc", "account", "contact", "item", "employee", "project", "tct", "tl",
        "sinv", "sorder", "soline", "poline", "cashflow", "journal", "costcenter", "costunit",
        "vatcode", "subline", "quote", "quoteline", "deliveryline", "finperiod", "xrate",
        "glscheme", "glmap", "budget")),
    "CREATE INDEX IF NOT EXISTS ix_subscr_id ON subscr(division, EntryID)",
    "CREATE INDEX IF NOT EXISTS ix_delivery_id ON delivery(division, EntryID)",
    "CREATE INDEX IF NOT EXISTS ix_tl_match ON tl(match_r)",
    "CREATE INDEX IF NOT EXISTS ix_rbal_div ON rbal(division)",
    "CREATE INDEX IF NOT EXISTS ix_openitem_div ON openitem(division, cash_r)",
    "CREATE INDEX IF NOT EXISTS ix_budget_mod ON budget(division, Modified)",
    # GUID keys are unique across divisions: single-column indexes also serve filters on a
    # joined table's key (e.EntryID = ?), which carry no division condition of their own.
    "CREATE INDEX IF NOT EXISTS ix_entry_id ON entry(EntryID)",
    "CREATE INDEX IF NOT EXISTS ix_entry_pi ON entry(PurchaseInvoiceID)",
    "CREATE INDEX IF NOT EXISTS ix_sorder_gid ON sorder(ID)",
    "CREATE INDEX IF NOT EXISTS ix_porder_gid ON porder(ID)",
    "CREATE INDEX IF NOT EXISTS ix_entry_mod ON entry(division, Modified)",
    "CREATE INDEX IF NOT EXISTS ix_invoice_id ON invoice(InvoiceID)",
    "CREATE INDEX IF NOT EXISTS ix_currency_code ON currency(division, Code)",
    "CREATE INDEX IF NOT EXISTS ix_cashflow_mod ON cashflow(division, Modified)",
    "CREATE INDEX IF NOT EXISTS ix_tl_entry ON tl(entry_r)",
    "CREATE INDEX IF NOT EXISTS ix_sinv_inv ON sinv(invoice_r)",
    "CREATE INDEX IF NOT EXISTS ix_soline_order ON soline(order_r)",
    "CREATE INDEX IF NOT EXISTS ix_poline_order ON poline(order_r)",
    "CREATE INDEX IF NOT EXISTS ix_cashflow_entry ON cashflow(entry_r)",
]


def columns(table: str) -> list[str]:
    """Column names of a table, in order."""
    return [part.strip().split()[0] for part in TABLES[table].split(",")]


def create(conn: object) -> None:
    """Create every table (indexes come after the bulk load, see :func:`index`)."""
    for name, cols in TABLES.items():
        conn.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")  # type: ignore[attr-defined]


def index(conn: object) -> None:
    """Create the indexes the API's queries use."""
    for sql in INDEXES:
        conn.execute(sql)  # type: ignore[attr-defined]
