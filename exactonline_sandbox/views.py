"""How each sandbox base table becomes Exact fields: SQL value expressions per Exact field.

A *view* is a base table (alias ``t``), the joins it may need (alias -> SQL, dependencies) and a
map from Exact field name to an SQL expression giving the raw value (text, number, wall-clock
milliseconds for DateTime, 0/1 for Boolean). The renderer in :mod:`.store` turns those raw values
into OData JSON by the field's Edm type; fields of the reference entity that a view does not
map are rendered as ``null`` (``false`` for Edm.Boolean), as Exact does for unset properties.

This module holds the ledger's views (transaction lines, entries, sales invoices, payment terms,
deletions) and what every view shares; master data is in :mod:`.masterviews`, documents in
:mod:`.commerceviews`, Exact's reports in :mod:`.reportviews`.

Bound parameters available to every expression: ``:user`` (UserID of /current/Me) and
``:username`` (its FullName).
"""

from __future__ import annotations

from dataclasses import dataclass

WHO = """
Creator=:user
CreatorFullName=:username
Modifier=:user
ModifierFullName=:username
Division=t.division
"""


def _map(*blocks: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for block in blocks:
        for line in block.strip().splitlines():
            name, _, expr = line.partition("=")
            out[name.strip()] = expr.strip()
    return out


@dataclass(frozen=True, eq=False)
class View:
    """A base table with its joins and Exact field expressions."""

    table: str
    fields: dict[str, str]
    joins: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    modified: str = "t.Modified"

    def join_sql(self, aliases: set[str]) -> str:
        """The JOIN clauses needed for ``aliases`` (and what they depend on), in order."""
        wanted = set(aliases)
        changed = True
        while changed:
            changed = False
            for alias, _sql, deps in self.joins:
                if alias in wanted and not set(deps) <= wanted:
                    wanted |= set(deps)
                    changed = True
        return " ".join(sql for alias, sql, _deps in self.joins if alias in wanted)


J_GL = ("g", "LEFT JOIN glacc g ON g.rid = t.gl_r", ())
J_CC = ("cc", "LEFT JOIN costcenter cc ON cc.rid = t.cc_r", ())
J_CU = ("cu", "LEFT JOIN costunit cu ON cu.rid = t.cu_r", ())
J_VAT = ("v", "LEFT JOIN vatcode v ON v.rid = t.vat_r", ())
J_ITEM = ("it", "LEFT JOIN item it ON it.rid = t.item_r", ())
J_PROJ = ("p", "LEFT JOIN project p ON p.rid = t.project_r", ())
J_ACC = ("a", "LEFT JOIN account a ON a.rid = t.account_r", ())

STATUS_DESC = "CASE {0} WHEN 20 THEN 'Open' WHEN 50 THEN 'Processed' END"
ENTRY_TYPE_DESC = ("CASE {0} WHEN 20 THEN 'Sales entry' WHEN 30 THEN 'Purchase entry' "
                   "WHEN 40 THEN 'Cash flow' WHEN 90 THEN 'Other' END")

# -- transaction lines (one row per line; LineNumber 0 is the entry's total line) -------------
TRANSACTION_LINES = View(
    table="tl",
    joins=(
        ("e", "JOIN entry e ON e.rid = t.entry_r", ()),
        ("j", "LEFT JOIN journal j ON j.rid = e.journal_r", ("e",)),
        J_GL, J_CC, J_CU, J_VAT, J_ITEM, J_PROJ, J_ACC,
    ),
    modified="e.Modified",
    fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
EntryID=e.EntryID
EntryNumber=e.EntryNumber
LineNumber=t.LineNumber
Date=e.Date
DueDate=e.DueDate
FinancialYear=e.FinancialYear
FinancialPeriod=e.FinancialPeriod
ReportingYear=e.FinancialYear
ReportingPeriod=e.FinancialPeriod
JournalCode=j.Code
JournalDescription=j.Description
Account=a.ID
AccountCode=a.Code
AccountName=a.Name
AmountDC=t.AmountDC
AmountFC=t.AmountFC
AmountVATBaseFC=t.VATBaseFC
AmountVATFC=t.AmountVAT
AmountVATDC=t.AmountVAT
VATBaseAmountDC=t.VATBase
VATBaseAmountFC=t.VATBaseFC
VATAmountDC=t.AmountVAT
VATAmountFC=t.AmountVAT
GLAccount=g.ID
GLAccountCode=g.Code
GLAccountDescription=g.Description
CostCenter=cc.Code
CostCenterDescription=cc.Description
CostUnit=cu.Code
CostUnitDescription=cu.Description
VATCode=v.Code
VATCodeDescription=v.Description
VATPercentage=v.Percentage
Item=it.ID
ItemCode=it.Code
ItemDescription=it.Description
Project=p.ID
ProjectCode=p.Code
ProjectDescription=p.Description
Quantity=t.Quantity
Description=t.Description
From=CASE WHEN t.cu_r IS NOT NULL THEN e.Date END
To=CASE WHEN t.cu_r IS NOT NULL THEN e.Date + 364 * 86400000 END
InvoiceNumber=t.InvoiceNumber
YourRef=e.YourRef
PaymentReference=e.PaymentReference
Status=e.Status
Type=e.Type
LineType=0
Currency=t.Currency
ExchangeRate=t.Rate
Created=e.Created
Modified=e.Modified
"""),
)

# -- journal entries (headers of sales, purchase, bank and general journal entries) -----------
ENTRIES = View(
    table="entry",
    joins=(
        ("j", "LEFT JOIN journal j ON j.rid = t.journal_r", ()),
        J_ACC,
    ),
    fields=_map(WHO, f"""
EntryID=t.EntryID
EntryNumber=t.EntryNumber
EntryDate=t.Date
Date=t.Date
DueDate=t.DueDate
InvoiceDate=t.Date
FinancialYear=t.FinancialYear
FinancialPeriod=t.FinancialPeriod
ReportingYear=t.FinancialYear
ReportingPeriod=t.FinancialPeriod
Journal=j.Code
JournalCode=j.Code
JournalDescription=j.Description
Customer=a.ID
CustomerName=a.Name
Supplier=a.ID
SupplierName=a.Name
AmountDC=t.AmountDC
AmountFC=t.AmountFC
Amount=t.AmountFC
AmountFCExclVat=round(t.AmountFC - t.VATAmountDC, 2)
VATAmountDC=t.VATAmountDC
VATAmountFC=t.VATAmountDC
VATAmount=t.VATAmountDC
InvoiceNumber=t.InvoiceNumber
YourRef=t.YourRef
PaymentReference=t.PaymentReference
PaymentCondition=CASE WHEN t.Type IN (20, 30) THEN '30' END
PaymentConditionDescription=CASE WHEN t.Type IN (20, 30) THEN '30 days' END
Description=t.Description
Status=t.Status
StatusDescription={STATUS_DESC.format("t.Status")}
Type=t.Type
TypeDescription={ENTRY_TYPE_DESC.format("t.Type")}
Currency=t.Currency
Rate=t.Rate
ExchangeRate=t.Rate
Reversal=0
Created=t.Created
Modified=t.Modified
ID=t.PurchaseInvoiceID
Source=1
"""),
)

# -- sales invoices (sync rows: header LineNumber 0 + line rows) ------------------------------
SALES_INVOICE_ROWS = View(
    table="sinv",
    joins=(
        ("i", "JOIN invoice i ON i.rid = t.invoice_r", ()),
        ("a", "LEFT JOIN account a ON a.rid = i.account_r", ("i",)),
        ("j", "LEFT JOIN journal j ON j.rid = i.journal_r", ("i",)),
        J_GL, J_CC, J_CU, J_VAT, J_ITEM,
    ),
    modified="i.Modified",
    fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
InvoiceID=i.InvoiceID
InvoiceNumber=i.InvoiceNumber
InvoiceDate=i.InvoiceDate
DueDate=i.DueDate
OrderDate=i.OrderDate
OrderNumber=i.OrderNumber
DeliveryDate=i.InvoiceDate
LineNumber=t.LineNumber
Description=t.Description
Remarks=i.Remarks
YourRef=i.YourRef
OrderedBy=a.ID
OrderedByName=a.Name
InvoiceTo=a.ID
InvoiceToName=a.Name
DeliverTo=a.ID
DeliverToName=a.Name
Journal=j.Code
JournalDescription=j.Description
AmountDC=t.AmountDC
AmountFC=t.AmountDC
AmountFCExclVat=i.AmountFCExclVat
VATAmountDC=t.VATAmountDC
VATAmountFC=t.VATAmountDC
Quantity=t.Quantity
UnitPrice=t.UnitPrice
NetPrice=t.UnitPrice
Discount=0.0
AmountDiscount=0.0
AmountDiscountExclVat=0.0
Item=it.ID
ItemCode=it.Code
ItemDescription=it.Description
UnitCode=CASE WHEN t.item_r IS NOT NULL THEN 'pc' END
StartTime=CASE WHEN it.IsTime = 1 THEN i.Created END
EndTime=CASE WHEN it.IsTime = 1 THEN i.Modified END
UnitDescription=CASE WHEN t.item_r IS NOT NULL THEN 'Piece' END
GLAccount=g.ID
GLAccountDescription=g.Description
CostCenter=cc.Code
CostCenterDescription=cc.Description
CostUnit=cu.Code
CostUnitDescription=cu.Description
VATCode=v.Code
VATCodeDescription=v.Description
VATPercentage=v.Percentage
PaymentCondition='30'
PaymentConditionDescription='30 days'
Status=i.Status
StatusDescription=CASE i.Status WHEN 50 THEN 'Processed' ELSE 'Open' END
Type=8020
TypeDescription='Sales invoice'
Currency='EUR'
Created=i.Created
Modified=i.Modified
"""),
)

# -- sales invoice headers (standard salesinvoice/SalesInvoices, key InvoiceID) ----------------
SALES_INVOICES = View(
    table="invoice",
    joins=(
        J_ACC,
        ("j", "LEFT JOIN journal j ON j.rid = t.journal_r", ()),
    ),
    fields=_map(WHO, """
InvoiceID=t.InvoiceID
InvoiceNumber=t.InvoiceNumber
InvoiceDate=t.InvoiceDate
DueDate=t.DueDate
OrderDate=t.OrderDate
OrderNumber=t.OrderNumber
Description=t.Description
Remarks=t.Remarks
YourRef=t.YourRef
OrderedBy=a.ID
OrderedByName=a.Name
InvoiceTo=a.ID
InvoiceToName=a.Name
DeliverTo=a.ID
DeliverToName=a.Name
Journal=j.Code
JournalDescription=j.Description
AmountDC=t.AmountDC
AmountFC=t.AmountDC
AmountFCExclVat=t.AmountFCExclVat
VATAmountDC=t.VATAmountDC
VATAmountFC=t.VATAmountDC
Discount=0.0
AmountDiscount=0.0
AmountDiscountExclVat=0.0
PaymentCondition='30'
PaymentConditionDescription='30 days'
Status=t.Status
StatusDescription=CASE t.Status WHEN 50 THEN 'Processed' ELSE 'Open' END
Type=8020
TypeDescription='Sales invoice'
Currency='EUR'
Created=t.Created
Modified=t.Modified
"""),
)

CASHFLOW = View(table="cashflow", joins=(
    J_ACC, J_GL,
    ("e", "LEFT JOIN entry e ON e.rid = t.entry_r", ()),
    ("j", "LEFT JOIN journal j ON j.rid = e.journal_r", ("e",)),
), fields=_map(WHO, """
ID=t.ID
Account=a.ID
AccountCode=a.Code
AccountName=a.Name
AccountCountry=a.Country
AmountDC=t.AmountDC
AmountFC=e.AmountFC
TransactionAmountDC=t.AmountDC
TransactionAmountFC=e.AmountFC
AmountDiscountDC=0.0
AmountDiscountFC=0.0
RateFC=e.Rate
Currency=e.Currency
Description=e.Description
DueDate=e.DueDate
TransactionDueDate=e.DueDate
EntryDate=e.Date
InvoiceDate=e.Date
EntryID=e.EntryID
TransactionEntryID=e.EntryID
EntryNumber=e.EntryNumber
InvoiceNumber=e.InvoiceNumber
YourRef=e.YourRef
PaymentReference=e.PaymentReference
Journal=j.Code
JournalDescription=j.Description
GLAccount=g.ID
GLAccountCode=g.Code
GLAccountDescription=g.Description
TransactionReportingYear=e.FinancialYear
TransactionReportingPeriod=e.FinancialPeriod
TransactionType=e.Type
TransactionStatus=e.Status
TransactionIsReversal=0
IsFullyPaid=t.Status = 50
LastPaymentDate=t.PaidDate
DiscountDueDate=e.Date + 8 * 86400000
EndDate=CASE WHEN t.Status = 50 THEN t.PaidDate END
PaymentSelected=CASE WHEN t.Status = 50 THEN t.Modified END
ReceivableSelected=CASE WHEN t.Status = 50 THEN t.Modified END
PaymentCondition='30'
PaymentConditionDescription='30 days'
PaymentDays=30
PaymentDaysDiscount=0
PaymentDiscountPercentage=0.0
IsBatchBooking=0
Source=1
Status=t.Status
Created=t.Created
Modified=t.Modified
"""))

DELETED = View(table="deleted", fields=_map("""
Timestamp=t.Timestamp
ID=t.ID
EntityKey=t.EntityKey
EntityType=t.EntityType
DeletedBy=:user
DeletedDate=t.DeletedDate
Division=t.division
"""))
