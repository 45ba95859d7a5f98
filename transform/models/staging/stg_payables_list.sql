-- read/financial/PayablesList (snapshot): Exact's open payables, Amount positive when the supplier is owed (sign: sandbox convention).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('payables_list', 'HID', [
    ('HID', 'int', 'open_item_id'),
    ('Id', 'guid', 'payment_term_id'),
    ('AccountId', 'guid', 'account_id'),
    ('AccountCode', 'code', 'account_code'),
    ('AccountName', 'str', 'account_name'),
    ('InvoiceNumber', 'int', 'invoice_number'),
    ('EntryNumber', 'int', 'entry_number'),
    ('InvoiceDate', 'date', 'invoice_date'),
    ('DueDate', 'date', 'due_date'),
    ('CurrencyCode', 'code', 'currency'),
    ('Amount', 'amount', 'open_amount'),
    ('AmountInTransit', 'amount', 'amount_in_transit'),
    ('JournalCode', 'str', 'journal_code'),
    ('Description', 'str', 'description'),
    ('YourRef', 'str', 'your_ref'),
    ('SnapshotTakenAt', 'ts', 'snapshot_taken_at'),
    ('ApprovalStatus', 'int', 'approval_status'),
], has_timestamp=false, has_modified=false) }}
