-- Every loaded version of `time_cost_transactions` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('time_cost_transactions', 'ID', [
    ('ID', 'guid', 'time_cost_transaction_id'),
    ('Project', 'guid', 'project_id'),
    ('ProjectCode', 'str', 'project_code'),
    ('Account', 'guid', 'account_id'),
    ('Employee', 'guid', 'employee_id'),
    ('Item', 'guid', 'item_id'),
    ('ItemDescription', 'str', 'item_description'),
    ('Date', 'date', 'transaction_date'),
    ('Type', 'int', 'transaction_type'),
    ('HourStatus', 'int', 'hour_status'),
    ('Quantity', 'amount', 'quantity'),
    ('PriceFC', 'amount', 'price_fc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('Currency', 'str', 'currency'),
    ('Notes', 'str', 'notes'),
]) }}
