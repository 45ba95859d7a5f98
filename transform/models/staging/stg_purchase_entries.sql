-- Every loaded version of `purchase_entries` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('purchase_entries', 'EntryID', [
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('Supplier', 'guid', 'supplier_account_id'),
    ('SupplierName', 'str', 'supplier_name'),
    ('EntryDate', 'date', 'entry_date'),
    ('DueDate', 'date', 'due_date'),
    ('InvoiceNumber', 'int', 'invoice_number'),
    ('YourRef', 'str', 'your_ref'),
    ('Journal', 'str', 'journal_code'),
    ('Currency', 'str', 'currency'),
    ('ReportingYear', 'int', 'reporting_year'),
    ('ReportingPeriod', 'int', 'reporting_period'),
    ('Status', 'int', 'status'),
    ('Type', 'int', 'entry_type'),
    ('PaymentCondition', 'str', 'payment_condition'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('VATAmountDC', 'amount', 'vat_amount_dc'),
    ('Description', 'str', 'description'),
], has_timestamp=false) }}
