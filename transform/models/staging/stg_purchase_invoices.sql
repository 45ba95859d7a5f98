-- purchase/PurchaseInvoices (Modified).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('purchase_invoices', 'ID', [
    ('ID', 'guid', 'purchase_invoice_id'),
    ('InvoiceDate', 'date', 'invoice_date'),
    ('DueDate', 'date', 'due_date'),
    ('Supplier', 'guid', 'supplier_account_id'),
    ('Journal', 'str', 'journal_code'),
    ('Currency', 'str', 'currency'),
    ('Amount', 'amount', 'amount_fc'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('ExchangeRate', 'number', 'exchange_rate'),
    ('EntryNumber', 'int', 'entry_number'),
    ('FinancialYear', 'int', 'financial_year'),
    ('FinancialPeriod', 'int', 'financial_period'),
    ('VATAmount', 'amount', 'vat_amount_fc'),
    ('Status', 'int', 'status'),
    ('Type', 'int', 'invoice_type'),
    ('YourRef', 'str', 'your_ref'),
    ('Remarks', 'str', 'remarks'),
], has_timestamp=false) }}
