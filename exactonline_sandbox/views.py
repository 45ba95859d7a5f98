"""How each sandbox base table becomes Exact fields: SQL value expressions per Exact field.

A *view* is a base table (alias ``t``), the joins it may need (alias -> SQL, dependencies) and a
map from Exact field name to an SQL expression giving the raw value (text, number, wall-clock
milliseconds for DateTime, 0/1 for Boolean). The renderer in :mod:`.store` turns those raw values
into OData JSON by the field's Edm type; fields of the reference entity that a view does not
map are rendered as ``null`` (``false`` for Edm.Boolean), as Exact does for unset properties.

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

GL_CLASSIFICATIONS = View(table="glclass", fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
Code=t.Code
Name=t.Name
Description=t.Description
Parent=t.Parent
Balance=t.Balance
Abstract=t.Abstract
TaxonomyNamespace=t.TaxonomyNamespace
TaxonomyNamespaceDescription=t.TaxonomyNamespaceDescription
Created=t.Created
Modified=t.Modified
"""))

# ReportingCode carries the code of the account's GL classification (as with RGS reporting
# codes in NL administrations), so downstream models can place each account in the hierarchy.
GL_ACCOUNTS = View(
    table="glacc",
    joins=(("gc", "LEFT JOIN glclass gc ON gc.rid = t.class_r", ()),),
    fields=_map(WHO, """
ReportingCode=gc.Code
ID=t.ID
Timestamp=t.Timestamp
Code=t.Code
Description=t.Description
SearchCode=t.SearchCode
BalanceSide=t.BalanceSide
BalanceType=t.BalanceType
Type=t.Type
TypeDescription=t.TypeDescription
VATCode=t.VATCode
IsBlocked=0
Matching=0
Compress=0
RevalueCurrency=0
UseCostcenter=0
UseCostunit=0
ExcludeVATListing=0
ExpenseNonDeductiblePercentage=0.0
PrivatePercentage=0.0
VATNonDeductiblePercentage=0.0
Created=t.Created
Modified=t.Modified
"""))

SIMPLE_DIMENSION = _map(WHO, """
ID=t.ID
Code=t.Code
Description=t.Description
Active=t.Active
EndDate=t.EndDate
Created=t.Created
Modified=t.Modified
""")
COST_CENTERS = View(table="costcenter", fields=SIMPLE_DIMENSION)
COST_UNITS = View(table="costunit", fields=SIMPLE_DIMENSION)

VAT_CODES = View(table="vatcode", joins=(
    ("gp", "LEFT JOIN glacc gp ON gp.rid = t.glpay_r", ()),
    ("gc", "LEFT JOIN glacc gc ON gc.rid = t.glclaim_r", ()),
), fields=_map(WHO, """
ID=t.ID
Code=t.Code
Description=t.Description
Percentage=t.Percentage
Type=t.Type
Charged=t.Charged
CalculationBasis=0
GLToPay=gp.ID
GLToPayCode=gp.Code
GLToPayDescription=gp.Description
GLToClaim=gc.ID
GLToClaimCode=gc.Code
GLToClaimDescription=gc.Description
Country='NL'
Created=t.Created
Modified=t.Modified
"""))

CURRENCIES = View(table="currency", fields=_map("""
Code=t.Code
Description=t.Description
AmountPrecision=t.AmountPrecision
PricePrecision=t.PricePrecision
Created=t.Created
Modified=t.Modified
"""))

JOURNALS = View(table="journal", joins=(J_GL,), fields=_map(WHO, """
ID=t.ID
Code=t.Code
Description=t.Description
Type=t.Type
GLAccount=g.ID
GLAccountCode=g.Code
GLAccountDescription=g.Description
GLAccountType=g.Type
Currency='EUR'
CurrencyDescription='Euro'
AllowVAT=t.Type IN (20, 22)
AllowVariableCurrency=0
AllowVariableExchangeRate=0
AutoSave=0
IsBlocked=0
BankAccountIBAN=t.IBAN
Created=t.Created
Modified=t.Modified
"""))

ACCOUNTS = View(table="account", fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
Code=t.Code
Name=t.Name
SearchCode=t.SearchCode
IsSupplier=t.IsSupplier
IsSales=t.IsSales
IsPurchase=t.IsSupplier
Status=t.Status
StatusSince=t.StartDate
StartDate=t.StartDate
EndDate=t.EndDate
ControlledDate=t.ControlledDate
EstablishedDate=t.EstablishedDate
Type='A'
City=t.City
Country=t.Country
CountryName=CASE t.Country WHEN 'NL' THEN 'Netherlands' WHEN 'BE' THEN 'Belgium' END
Postcode=t.Postcode
AddressLine1=t.AddressLine1
Email=t.Email
Phone=t.Phone
Website=t.Website
VATNumber=t.VATNumber
ChamberOfCommerce=t.ChamberOfCommerce
Remarks=t.Remarks
Blocked=0
CanDropShip=0
CustomerSince=CASE WHEN t.IsSales THEN t.StartDate END
CreditLinePurchase=0.0
CreditLineSales=0.0
DiscountPurchase=0.0
DiscountSales=0.0
ConsolidationScenario=0
CostPaid=0
Language='NL'
LanguageDescription='Dutch'
SalesCurrency='EUR'
PurchaseCurrency=CASE WHEN t.IsSupplier THEN coalesce(t.Currency, 'EUR') END
PaymentConditionSales=CASE WHEN t.IsSales THEN '30' END
PaymentConditionPurchase=CASE WHEN t.IsSupplier THEN '30' END
Latitude=NULL
Created=t.Created
Modified=t.Modified
"""))

CONTACTS = View(table="contact", joins=(J_ACC,), fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
Account=a.ID
AccountName=a.Name
AccountIsCustomer=a.IsSales
AccountIsSupplier=a.IsSupplier
FirstName=t.FirstName
LastName=t.LastName
FullName=t.FullName
Initials=t.Initials
Gender=t.Gender
Email=t.Email
BusinessEmail=t.Email
Phone=t.Phone
BusinessPhone=t.Phone
JobTitleDescription=t.JobTitleDescription
IsMainContact=t.IsMainContact
HID=t.HID
City=a.City
Country=a.Country
Language='NL'
AllowMailing=1
StartDate=t.StartDate
EndDate=t.EndDate
BirthDate=t.BirthDate
IdentificationDate=t.IdentificationDate
Created=t.Created
Modified=t.Modified
"""))

ITEMS = View(table="item", joins=(
    ("gr", "LEFT JOIN glacc gr ON gr.rid = t.glrev_r", ()),
    ("gk", "LEFT JOIN glacc gk ON gk.rid = t.glcost_r", ()),
), fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
Code=t.Code
Description=t.Description
SearchCode=t.SearchCode
CostPriceStandard=t.CostPriceStandard
CostPriceCurrency='EUR'
StandardSalesPrice=t.StandardSalesPrice
AverageCost=t.CostPriceStandard
Unit=t.Unit
UnitDescription=t.UnitDescription
UnitType='A'
IsSalesItem=t.IsSalesItem
IsPurchaseItem=t.IsPurchaseItem
IsStockItem=t.IsStockItem
IsTime=t.IsTime
IsSerialItem=0
IsFractionAllowedItem=t.IsTime
IsPackageItem=0
IsSubcontractedItem=0
IsBatchItem=0
IsBatchNumberItem=0
IsMakeItem=0
IsNewContract=0
IsOnDemandItem=0
IsRegistrationCodeItem=0
IsTaxableItem=0
IsWebshopItem=0
CopyRemarks=0
UseExplosion=0
Stock=t.Stock
GLRevenue=gr.ID
GLRevenueCode=gr.Code
GLRevenueDescription=gr.Description
GLCosts=gk.ID
GLCostsCode=gk.Code
GLCostsDescription=gk.Description
SalesVatCode=t.SalesVatCode
StartDate=t.StartDate
EndDate=t.EndDate
FreeDateField_01=t.FreeDate
FreeDateField_02=t.FreeDate + 86400000
FreeDateField_03=t.FreeDate + 2 * 86400000
FreeDateField_04=t.FreeDate + 3 * 86400000
FreeDateField_05=t.FreeDate + 4 * 86400000
Created=t.Created
Modified=t.Modified
"""))

EMPLOYEES = View(table="employee", fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
Code=t.Code
FirstName=t.FirstName
LastName=t.LastName
FullName=t.FullName
Initials=t.Initials
Gender=t.Gender
Email=t.Email
BusinessEmail=t.Email
City=t.City
Country='NL'
BirthDate=t.BirthDate
StartDate=t.StartDate
EndDate=t.EndDate
IsActive=t.EndDate IS NULL
MaritalDate=t.MaritalDate
EmployeeHID=t.HID
HID=t.HID
Language='NL'
Created=t.Created
Modified=t.Modified
"""))

PROJECTS = View(table="project", joins=(
    J_ACC,
    ("m", "LEFT JOIN employee m ON m.rid = t.manager_r", ()),
), fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
Code=t.Code
Description=t.Description
Account=a.ID
AccountCode=a.Code
AccountName=a.Name
Manager=m.ID
ManagerFullname=m.FullName
StartDate=t.StartDate
EndDate=t.EndDate
Type=t.Type
TypeDescription=CASE t.Type WHEN 2 THEN 'Fixed price' WHEN 3 THEN 'Time and material' END
BudgetedAmount=t.BudgetedAmount
BudgetedCosts=t.BudgetedCosts
BudgetedRevenue=t.BudgetedAmount
BudgetType=1
BudgetTypeDescription='Hours per hour type'
MarkupPercentage=0.0
Created=t.Created
Modified=t.Modified
"""))

TIME_COST_TRANSACTIONS = View(table="tct", joins=(
    ("p", "LEFT JOIN project p ON p.rid = t.project_r", ()),
    ("pa", "LEFT JOIN account pa ON pa.rid = p.account_r", ("p",)),
    ("em", "LEFT JOIN employee em ON em.rid = t.employee_r", ()),
    J_ITEM,
), fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
Date=t.Date
Project=p.ID
ProjectCode=p.Code
ProjectDescription=p.Description
Account=pa.ID
AccountName=pa.Name
ProjectAccount=pa.ID
ProjectAccountCode=pa.Code
ProjectAccountName=pa.Name
Employee=em.ID
Item=it.ID
ItemDescription=it.Description
ItemDivisable=it.IsTime
Quantity=t.Quantity
PriceFC=t.PriceFC
AmountFC=t.AmountFC
Currency='EUR'
Type=t.Type
HourStatus=t.HourStatus
EntryNumber=t.EntryNumber
Notes=t.Notes
StartTime=CASE WHEN t.Type = 1 THEN t.Created END
EndTime=CASE WHEN t.Type = 1 THEN t.Modified END
Created=t.Created
Modified=t.Modified
"""))

SALES_ORDERS = View(table="sorder", joins=(J_ACC,), fields=_map(WHO, """
ID=t.ID
OrderID=t.ID
Timestamp=t.Timestamp
OrderNumber=t.OrderNumber
OrderDate=t.OrderDate
DeliveryDate=t.DeliveryDate
Description=t.Description
YourRef=t.YourRef
OrderedBy=a.ID
OrderedByName=a.Name
InvoiceTo=a.ID
InvoiceToName=a.Name
DeliverTo=a.ID
DeliverToName=a.Name
AmountDC=t.AmountDC
AmountFC=t.AmountDC
AmountFCExclVat=t.AmountFCExclVat
AmountDiscount=0.0
AmountDiscountExclVat=0.0
Discount=0.0
VATAmount=round(t.AmountDC - t.AmountFCExclVat, 2)
Status=t.Status
StatusDescription=CASE t.Status WHEN 12 THEN 'Open' WHEN 20 THEN 'Partial' ELSE 'Complete' END
DeliveryStatus=t.DeliveryStatus
InvoiceStatus=t.InvoiceStatus
ApprovalStatus=1
Approved=CASE WHEN t.Status <> 12 THEN t.Created END
Currency='EUR'
PaymentCondition='30'
PaymentConditionDescription='30 days'
Created=t.Created
Modified=t.Modified
"""))

SALES_ORDER_LINES = View(table="soline", joins=(
    ("o", "JOIN sorder o ON o.rid = t.order_r", ()),
    J_ITEM, J_VAT,
), fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
OrderID=o.ID
OrderNumber=o.OrderNumber
LineNumber=t.LineNumber
Item=it.ID
ItemCode=it.Code
ItemDescription=it.Description
Description=t.Description
Quantity=t.Quantity
QuantityDelivered=t.QuantityDelivered
QuantityInvoiced=t.QuantityDelivered
UnitPrice=t.UnitPrice
NetPrice=t.UnitPrice
AmountDC=t.AmountDC
AmountFC=t.AmountDC
CostPriceFC=it.CostPriceStandard
Margin=round(t.UnitPrice - it.CostPriceStandard, 2)
Discount=0.0
VATAmount=t.VATAmount
VATCode=v.Code
VATCodeDescription=v.Description
VATPercentage=v.Percentage
UnitCode='pc'
UnitDescription='Piece'
DeliveryDate=o.DeliveryDate
Status=o.Status
DeliveryStatus=o.DeliveryStatus
InvoiceStatus=o.InvoiceStatus
UseDropShipment=0
Created=t.Created
Modified=t.Modified
"""))

PURCHASE_ORDER_LINES = View(table="poline", joins=(
    ("o", "JOIN porder o ON o.rid = t.order_r", ()),
    ("s", "LEFT JOIN account s ON s.rid = o.account_r", ("o",)),
    J_ITEM, J_VAT,
), modified="o.Modified", fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
PurchaseOrderID=o.ID
OrderNumber=o.OrderNumber
OrderDate=o.OrderDate
ReceiptDate=o.ReceiptDate
Description=o.Description
Supplier=s.ID
SupplierCode=s.Code
SupplierName=s.Name
LineNumber=t.LineNumber
Item=it.ID
ItemCode=it.Code
ItemDescription=it.Description
Quantity=t.Quantity
QuantityInPurchaseUnits=t.Quantity
ReceivedQuantity=t.ReceivedQuantity
InvoicedQuantity=t.ReceivedQuantity
UnitPrice=t.UnitPrice
NetPrice=t.UnitPrice
AmountDC=t.AmountDC
AmountFC=t.AmountDC
AmountFCExclVat=t.AmountDC
VATAmount=t.VATAmount
VATCode=v.Code
VATDescription=v.Description
VATPercentage=v.Percentage
Unit='pc'
UnitDescription='Piece'
Discount=0.0
AmountDiscount=0.0
AmountDiscountExclVat=0.0
ExchangeRate=1.0
OrderStatus=o.OrderStatus
ReceiptStatus=o.ReceiptStatus
InvoiceStatus=o.InvoiceStatus
ApprovalStatus=1
Approved=CASE WHEN o.OrderStatus <> 10 THEN o.Created END
Currency='EUR'
DropShipment=0
Rebill=0
ItemDivisable=0
IsBatchNumberItem=0
IsSerialNumberItem=0
Source=1
Created=o.Created
Modified=o.Modified
"""))

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

DIVISIONS = View(table="divs", fields=_map(WHO, """
Code=t.Code
Description=t.Description
Current=t.Code = :current
Hid=t.Hid
City=t.City
Country='NL'
Currency='EUR'
Legislation='NL'
Customer=t.Customer
CustomerCode=t.CustomerCode
CustomerName=t.CustomerName
VATNumber=t.VATNumber
ChamberOfCommerceNumber=t.ChamberOfCommerceNumber
Email=t.Email
StartDate=t.StartDate
DivisionMoveDate=t.DivisionMoveDate
DivisionHRLinkUnlinkDate=t.HRLinkUnlinkDate
ArchiveDate=t.ArchiveDate
Status=1
BlockingStatus=0
IsMainDivision=t.Code = :current
IsDossierDivision=0
IsHRDivision=0
IsPracticeDivision=0
TemplateCode='DEFAULT'
Created=t.Created
Modified=t.Modified
Division=t.Code
"""))

PURCHASE_ORDERS = View(table="porder", joins=(
    ("s", "LEFT JOIN account s ON s.rid = t.account_r", ()),
), fields=_map(WHO, """
PurchaseOrderID=t.ID
OrderNumber=t.OrderNumber
OrderDate=t.OrderDate
ReceiptDate=t.ReceiptDate
Description=t.Description
Supplier=s.ID
SupplierCode=s.Code
SupplierName=s.Name
AmountDC=t.AmountDC
AmountFC=t.AmountDC
AmountFCExclVat=round(t.AmountDC - t.VATAmount, 2)
VATAmount=t.VATAmount
OrderStatus=t.OrderStatus
ReceiptStatus=t.ReceiptStatus
InvoiceStatus=t.InvoiceStatus
ApprovalStatus=1
Approved=CASE WHEN t.OrderStatus <> 10 THEN t.Created END
Currency='EUR'
ExchangeRate=1.0
Discount=0.0
AmountDiscount=0.0
AmountDiscountExclVat=0.0
DropShipment=0
Source=1
Created=t.Created
Modified=t.Modified
"""))
