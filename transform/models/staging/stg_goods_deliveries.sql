-- sync/SalesOrder/GoodsDeliveries (Timestamp); key EntryID.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('goods_deliveries', 'EntryID', [
    ('EntryID', 'guid', 'goods_delivery_id'),
    ('DeliveryNumber', 'int', 'delivery_number'),
    ('DeliveryDate', 'date', 'delivery_date'),
    ('DeliveryAccount', 'guid', 'delivery_account_id'),
    ('DeliveryAccountName', 'str', 'delivery_account_name'),
    ('Description', 'str', 'description'),
    ('TrackingNumber', 'str', 'tracking_number'),
]) }}
