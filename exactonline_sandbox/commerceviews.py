"""Views of the documents around the ledger (same conventions as :mod:`.views`).

Time and cost transactions, sales and purchase orders with their lines, and the order-to-cash
sync endpoints: quotations, subscriptions and goods deliveries of :mod:`.commerce` (every row
a sync row with its own ``Timestamp``).
"""

from __future__ import annotations

from exactonline_sandbox.views import J_ACC, J_ITEM, J_VAT, WHO, View, _map

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

QUOTATION_STATUS = ("CASE {0} WHEN 5 THEN 'Rejected' WHEN 20 THEN 'Draft' WHEN 25 THEN 'Open' "
                    "WHEN 50 THEN 'Accepted' END")

QUOTATIONS = View(table="quote", joins=(J_ACC,), fields=_map(WHO, f"""
ID=t.ID
QuotationID=t.ID
Timestamp=t.Timestamp
QuotationNumber=t.QuotationNumber
VersionNumber=1
QuotationDate=t.QuotationDate
DueDate=t.DueDate
ClosingDate=t.ClosingDate
CloseDate=CASE WHEN t.Status IN (5, 50) THEN t.QuotationDate + 7 * 86400000 END
DeliveryDate=t.QuotationDate + 14 * 86400000
Description=t.Description
OrderAccount=a.ID
OrderAccountCode=a.Code
OrderAccountName=a.Name
InvoiceAccount=a.ID
InvoiceAccountCode=a.Code
InvoiceAccountName=a.Name
DeliveryAccount=a.ID
DeliveryAccountCode=a.Code
DeliveryAccountName=a.Name
AmountDC=t.AmountDC
AmountFC=t.AmountDC
AmountDiscount=0.0
AmountDiscountExclVat=0.0
Discount=0.0
Currency='EUR'
PaymentCondition='30'
PaymentConditionDescription='30 days'
Status=t.Status
StatusDescription={QUOTATION_STATUS.format("t.Status")}
Created=t.Created
Modified=t.Modified
"""))

QUOTATION_LINES = View(table="quoteline", joins=(
    ("q", "JOIN quote q ON q.rid = t.quote_r", ()),
    J_ITEM, J_VAT,
), fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
QuotationID=q.ID
QuotationNumber=q.QuotationNumber
LineNumber=t.LineNumber
Item=it.ID
ItemDescription=it.Description
Description=t.Description
Quantity=t.Quantity
UnitPrice=t.UnitPrice
NetPrice=t.UnitPrice
AmountDC=t.AmountDC
AmountFC=t.AmountDC
VATAmountFC=t.VATAmount
VATCode=v.Code
VATDescription=v.Description
VATPercentage=v.Percentage
UnitCode='pc'
UnitDescription='Piece'
Discount=0.0
AmountDiscount=0.0
AmountDiscountExclVat=0.0
Optional=0
Created=q.Created
Modified=t.Modified
"""))

SUBSCRIPTIONS = View(table="subscr", joins=(J_ACC,), fields=_map(WHO, """
EntryID=t.EntryID
Timestamp=t.Timestamp
Number=t.Number
Description=t.Description
OrderedBy=a.ID
OrderedByName=a.Name
InvoiceTo=a.ID
InvoiceToName=a.Name
StartDate=t.StartDate
EndDate=t.EndDate
InvoicingStartDate=t.InvoicingStartDate
CancellationDate=CASE WHEN t.EndDate IS NOT NULL THEN t.EndDate - 30 * 86400000 END
InvoicedTo=t.InvoicingStartDate + 30 * 86400000
InvoiceDay=1
SubscriptionTypeCode=t.TypeCode
SubscriptionTypeDescription=t.TypeDescription
Currency='EUR'
PaymentCondition='30'
PaymentConditionDescription='30 days'
BlockEntry=0
Printed=1
Created=t.Created
Modified=t.Modified
"""))

SUBSCRIPTION_LINES = View(table="subline", joins=(
    ("s", "JOIN subscr s ON s.rid = t.subscr_r", ()),
    J_ITEM,
), fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
EntryID=s.EntryID
SubscriptionNumber=s.Number
LineNumber=t.LineNumber
LineType=1
LineTypeDescription='Periodic'
Item=it.ID
ItemDescription=it.Description
Description=t.Description
Quantity=t.Quantity
UnitPrice=t.UnitPrice
NetPrice=t.UnitPrice
AmountDC=t.AmountDC
AmountFC=t.AmountDC
Discount=0.0
FromDate=t.FromDate
ToDate=t.ToDate
UnitCode='pc'
UnitDescription='Piece'
Modified=t.Modified
"""))

GOODS_DELIVERIES = View(table="delivery", joins=(J_ACC,), fields=_map(WHO, """
EntryID=t.EntryID
Timestamp=t.Timestamp
DeliveryNumber=t.DeliveryNumber
DeliveryDate=t.DeliveryDate
DeliveryAccount=a.ID
DeliveryAccountCode=a.Code
DeliveryAccountName=a.Name
Description=t.Description
Created=t.Created
Modified=t.Modified
"""))

GOODS_DELIVERY_LINES = View(table="deliveryline", joins=(
    ("dv", "JOIN delivery dv ON dv.rid = t.delivery_r", ()),
    ("sl", "LEFT JOIN soline sl ON sl.rid = t.soline_r", ()),
    ("o", "LEFT JOIN sorder o ON o.rid = sl.order_r", ("sl",)),
    J_ITEM,
), fields=_map(WHO, """
ID=t.ID
Timestamp=t.Timestamp
EntryID=dv.EntryID
LineNumber=t.LineNumber
Item=it.ID
ItemCode=it.Code
ItemDescription=it.Description
Description=t.Description
QuantityOrdered=t.QuantityOrdered
QuantityDelivered=t.QuantityDelivered
SalesOrderLineID=sl.ID
SalesOrderLineNumber=sl.LineNumber
SalesOrderNumber=o.OrderNumber
DeliveryDate=dv.DeliveryDate
Unitcode='pc'
Created=dv.Created
Modified=t.Modified
"""))
