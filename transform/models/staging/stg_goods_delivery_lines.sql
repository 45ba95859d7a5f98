-- sync/SalesOrder/GoodsDeliveryLines (Timestamp).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('goods_delivery_lines', 'ID', [
    ('ID', 'guid', 'goods_delivery_line_id'),
    ('EntryID', 'guid', 'goods_delivery_id'),
    ('LineNumber', 'int', 'line_number'),
    ('Item', 'guid', 'item_id'),
    ('ItemCode', 'str', 'item_code'),
    ('Description', 'str', 'description'),
    ('QuantityOrdered', 'number', 'quantity_ordered'),
    ('QuantityDelivered', 'number', 'quantity_delivered'),
    ('SalesOrderLineID', 'guid', 'sales_order_line_id'),
    ('SalesOrderNumber', 'int', 'sales_order_number'),
    ('DeliveryDate', 'date', 'delivery_date'),
]) }}
