-- generaljournalentry/GeneralJournalEntryLines (Modified).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('general_journal_entry_lines', 'ID', [
    ('ID', 'guid', 'general_journal_entry_line_id'),
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
    ('AmountVATDC', 'amount', 'vat_amount_dc'),
    ('Description', 'str', 'description'),
    ('Date', 'date', 'entry_date'),
    ('Account', 'guid', 'account_id'),
], has_timestamp=false) }}
