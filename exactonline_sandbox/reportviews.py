"""Views of Exact's finance reporting endpoints (same conventions as :mod:`.views`).

Reports come from the tables :mod:`.reports` derives from the ledger (``rbal``, ``obal``,
``openitem``, ``aging``); calendar, rates, scheme and budgets from :mod:`.fiscal`; payment
terms from ``cashflow`` (the receivables and payments themselves).
"""

from __future__ import annotations

from exactonline_sandbox.views import CASHFLOW, J_ACC, J_CC, J_CU, J_GL, WHO, View, _map

#: Exact's aging groups as the sandbox fills them (reports.aging: days past due on the as-of day)
AGE_GROUPS = ((1, "0 - 30 days"), (2, "31 - 60 days"), (3, "61 - 90 days"), (4, "> 90 days"))

CURRENCY_NAME = ("CASE {0} WHEN 'EUR' THEN 'Euro' WHEN 'USD' THEN 'US Dollar' "
                 "WHEN 'GBP' THEN 'Pound sterling' END")

REPORTING_BALANCE = View(table="rbal", joins=(J_GL, J_CC, J_CU),
                         fields=_map("""
ID=t.rid
Amount=t.Amount
AmountCredit=t.AmountCredit
AmountDebit=t.AmountDebit
BalanceType=g.BalanceType
CostCenterCode=cc.Code
CostCenterDescription=cc.Description
CostUnitCode=cu.Code
CostUnitDescription=cu.Description
Count=t.Count
Division=t.division
GLAccount=g.ID
GLAccountCode=g.Code
GLAccountDescription=g.Description
ReportingPeriod=t.ReportingPeriod
ReportingYear=t.ReportingYear
Status=t.Status
Type=t.Type
"""))

OPENING_BALANCES = View(table="obal", joins=(J_GL,), fields=_map("""
Division=t.division
GLAccount=g.ID
ReportingYear=t.ReportingYear
Amount=t.Amount
BalanceSide=g.BalanceSide
GLAccountCode=g.Code
GLAccountDescription=g.Description
"""))

_ENTRY_JOINS = (
    J_ACC,
    ("c", "JOIN cashflow c ON c.rid = t.cash_r", ()),
    ("e", "LEFT JOIN entry e ON e.rid = t.entry_r", ()),
    ("j", "LEFT JOIN journal j ON j.rid = e.journal_r", ("e",)),
)
OPEN_ITEMS = View(table="openitem", joins=_ENTRY_JOINS, fields=_map("""
HID=t.cash_r
AccountCode=a.Code
AccountId=a.ID
AccountName=a.Name
Amount=t.Amount
AmountInTransit=0.0
CurrencyCode=t.Currency
Description=e.Description
DueDate=e.DueDate
EntryNumber=e.EntryNumber
Id=c.ID
InvoiceDate=e.Date
InvoiceNumber=e.InvoiceNumber
JournalCode=j.Code
JournalDescription=j.Description
YourRef=e.YourRef
ApprovalStatus=CASE WHEN t.kind = 'P' THEN 4 END
"""))

_AGING = ["AccountId=a.ID", "AccountCode=a.Code", "AccountName=a.Name",
          "CurrencyCode=t.Currency", "TotalAmount=t.Total"]
for _group, _text in AGE_GROUPS:
    _AGING += [f"AgeGroup{_group}={_group}", f"AgeGroup{_group}Amount=t.Group{_group}",
               f"AgeGroup{_group}Description='{_text}'"]
AGING = View(table="aging", joins=(J_ACC,), fields=_map("\n".join(_AGING)))

FINANCIAL_PERIODS = View(table="finperiod", fields=_map(WHO, """
ID=t.ID
FinYear=t.FinYear
FinPeriod=t.FinPeriod
StartDate=t.StartDate
EndDate=t.EndDate
Created=t.Created
Modified=t.Modified
"""))

EXCHANGE_RATES = View(table="xrate", fields=_map(WHO, f"""
ID=t.ID
Rate=t.Rate
SourceCurrency=t.SourceCurrency
SourceCurrencyDescription={CURRENCY_NAME.format("t.SourceCurrency")}
TargetCurrency=t.TargetCurrency
TargetCurrencyDescription={CURRENCY_NAME.format("t.TargetCurrency")}
StartDate=t.StartDate
Created=t.Created
Modified=t.Modified
"""))

GL_SCHEMES = View(table="glscheme", fields=_map(WHO, """
ID=t.ID
Code=t.Code
Description=t.Description
Main=t.Main
TargetNamespace=t.TargetNamespace
Created=t.Created
Modified=t.Modified
"""))

GL_ACCOUNT_CLASSIFICATION_MAPPINGS = View(table="glmap", joins=(
    J_GL,
    ("gc", "LEFT JOIN glclass gc ON gc.rid = t.class_r", ()),
    ("s", "LEFT JOIN glscheme s ON s.rid = t.scheme_r", ()),
), fields=_map("""
ID=t.ID
Classification=gc.ID
ClassificationCode=gc.Code
ClassificationDescription=gc.Description
Division=t.division
GLAccount=g.ID
GLAccountCode=g.Code
GLAccountDescription=g.Description
GLSchemeCode=s.Code
GLSchemeDescription=s.Description
GLSchemeID=s.ID
"""))

BUDGETS = View(table="budget", joins=(J_GL,), fields=_map(WHO, """
ID=t.ID
HID=t.rid
AmountDC=t.AmountDC
BudgetScenario=t.ScenarioID
BudgetScenarioCode=t.ScenarioCode
BudgetScenarioDescription=t.ScenarioDescription
GLAccount=g.ID
GLAccountCode=g.Code
GLAccountDescription=g.Description
ReportingYear=t.ReportingYear
ReportingPeriod=t.ReportingPeriod
Created=t.Created
Modified=t.Modified
"""))

# sync/Cashflow/PaymentTerms: the receivables and payments as one sync endpoint.
PAYMENT_TERMS = View(table="cashflow", joins=CASHFLOW.joins, fields={
    **CASHFLOW.fields, **_map("""
Timestamp=t.Timestamp
LineType=CASE t.kind WHEN 'R' THEN 20 ELSE 22 END
TransactionID=e.EntryID
""")})
