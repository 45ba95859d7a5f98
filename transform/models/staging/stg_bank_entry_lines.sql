-- financialtransaction/BankEntryLines (Modified).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('bank_entry_lines', 'ID', [
    ('ID', 'guid', 'bank_entry_line_id'),
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('LineNumber', 'int', 'line_number'),
    ('Date', 'date', 'entry_date'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('Account', 'guid', 'account_id'),
    ('AccountCode', 'code', 'account_code'),
    ('CostCenter', 'str', 'cost_center_code'),
    ('CostUnit', 'str', 'cost_unit_code'),
    ('Project', 'guid', 'project_id'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('ExchangeRate', 'number', 'exchange_rate'),
    ('VATCode', 'str', 'vat_code'),
    ('OurRef', 'int', 'our_ref'),
    ('Description', 'str', 'description'),
], has_timestamp=false) }}
