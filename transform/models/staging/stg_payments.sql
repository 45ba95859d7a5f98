-- Every loaded version of `payments` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('payments', 'ID', [
    ('ID', 'guid', 'payment_id'),
    ('Account', 'guid', 'account_id'),
    ('AccountCode', 'code', 'account_code'),
    ('AccountName', 'str', 'account_name'),
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('InvoiceNumber', 'int', 'invoice_number'),
    ('InvoiceDate', 'date', 'invoice_date'),
    ('DueDate', 'date', 'due_date'),
    ('EntryDate', 'date', 'entry_date'),
    ('Journal', 'str', 'journal_code'),
    ('Currency', 'str', 'currency'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('TransactionAmountDC', 'amount', 'transaction_amount_dc'),
    ('Status', 'int', 'status'),
    ('Description', 'str', 'description'),
], has_timestamp=false) }}
