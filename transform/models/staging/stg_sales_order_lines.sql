-- sync/SalesOrder/SalesOrderLines (Timestamp).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('sales_order_lines', 'ID', [
    ('ID', 'guid', 'sales_order_line_id'),
    ('OrderID', 'guid', 'sales_order_id'),
    ('OrderNumber', 'int', 'order_number'),
    ('LineNumber', 'int', 'line_number'),
    ('Item', 'guid', 'item_id'),
    ('ItemCode', 'str', 'item_code'),
    ('Description', 'str', 'description'),
    ('Quantity', 'number', 'quantity'),
    ('QuantityDelivered', 'number', 'quantity_delivered'),
    ('QuantityInvoiced', 'number', 'quantity_invoiced'),
    ('UnitPrice', 'amount', 'unit_price'),
    ('NetPrice', 'amount', 'net_price'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('VATAmount', 'amount', 'vat_amount'),
    ('VATCode', 'str', 'vat_code'),
    ('DeliveryDate', 'date', 'delivery_date'),
]) }}
