-- Every loaded version of `receivables` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('receivables', 'ID', [
    ('ID', 'guid', 'receivable_id'),
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
    ('IsFullyPaid', 'bool', 'is_fully_paid'),
    ('Status', 'int', 'status'),
    ('LastPaymentDate', 'date', 'last_payment_date'),
    ('Description', 'str', 'description'),
], has_timestamp=false) }}
