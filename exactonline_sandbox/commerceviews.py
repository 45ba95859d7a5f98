"""Views of the order-to-cash sync endpoints (same conventions as :mod:`.views`).

Quotations, subscriptions and goods deliveries of :mod:`.commerce`; every row is a sync row
with its own ``Timestamp``.
"""

from __future__ import annotations

from exactonline_sandbox.views import J_ACC, J_ITEM, J_VAT, WHO, View, _map

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
