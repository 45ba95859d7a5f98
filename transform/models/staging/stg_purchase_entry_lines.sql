-- Every loaded version of `purchase_entry_lines` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('purchase_entry_lines', 'ID', [
    ('ID', 'guid', 'purchase_entry_line_id'),
    ('EntryID', 'guid', 'entry_id'),
    ('LineNumber', 'int', 'line_number'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('CostCenter', 'str', 'cost_center_code'),
    ('CostUnit', 'str', 'cost_unit_code'),
    ('Project', 'guid', 'project_id'),
    ('VATCode', 'str', 'vat_code'),
    ('Quantity', 'amount', 'quantity'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('VATAmountDC', 'amount', 'vat_amount_dc'),
    ('Description', 'str', 'description'),
], has_timestamp=false, has_modified=false) }}
