-- salesentry/SalesEntries (Modified); key EntryID.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('sales_entries', 'EntryID', [
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('Customer', 'guid', 'customer_account_id'),
    ('CustomerName', 'str', 'customer_name'),
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
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('VATAmountDC', 'amount', 'vat_amount_dc'),
    ('Description', 'str', 'description'),
], has_timestamp=false) }}
