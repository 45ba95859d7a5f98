-- salesentry/SalesEntries with SalesEntryLines expanded (EntryModified): revenue positive (Exact's
-- sales sign). No dollar sign in comments here: fakesnow reads one as a session variable.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('sales_entry_lines', 'ID', [
    ('ID', 'guid', 'sales_entry_line_id'),
    ('EntryID', 'guid', 'entry_id'),
    ('LineNumber', 'int', 'line_number'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('CostCenter', 'str', 'cost_center_code'),
    ('CostUnit', 'str', 'cost_unit_code'),
    ('Project', 'guid', 'project_id'),
    ('VATCode', 'str', 'vat_code'),
    ('Quantity', 'number', 'quantity'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('VATAmountDC', 'amount', 'vat_amount_dc'),
    ('Description', 'str', 'description'),
    ('EntryModified', 'ts', 'entry_modified'),
], has_timestamp=false, has_modified=false) }}
