"""Views of master data (same conventions as :mod:`.views`).

GL classifications and accounts, cost centers and units, VAT codes, currencies, journals,
accounts, contacts, items, employees, projects and the divisions themselves: the rows
:meth:`~exactonline_sandbox.generator.DivisionGenerator.master` writes.
"""

from __future__ import annotations

from exactonline_sandbox.views import J_ACC, J_GL, WHO, View, _map

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
