-- sync/Subscription/SubscriptionLines (Timestamp).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('subscription_lines', 'ID', [
    ('ID', 'guid', 'subscription_line_id'),
    ('EntryID', 'guid', 'subscription_id'),
    ('SubscriptionNumber', 'int', 'subscription_number'),
    ('LineNumber', 'int', 'line_number'),
    ('Item', 'guid', 'item_id'),
    ('Description', 'str', 'description'),
    ('Quantity', 'number', 'quantity'),
    ('UnitPrice', 'amount', 'unit_price'),
    ('NetPrice', 'amount', 'net_price'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('FromDate', 'date', 'from_date'),
    ('ToDate', 'date', 'to_date'),
    ('Costcenter', 'str', 'cost_center_code'),
    ('Costunit', 'str', 'cost_unit_code'),
]) }}
