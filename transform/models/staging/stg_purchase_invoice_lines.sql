-- purchase/PurchaseInvoiceLines (Modified).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('purchase_invoice_lines', 'ID', [
    ('ID', 'guid', 'purchase_invoice_line_id'),
    ('InvoiceID', 'guid', 'purchase_invoice_id'),
    ('LineNumber', 'int', 'line_number'),
    ('Item', 'guid', 'item_id'),
    ('Description', 'str', 'description'),
    ('Quantity', 'number', 'quantity'),
    ('UnitPrice', 'amount', 'unit_price'),
    ('Amount', 'amount', 'amount_fc'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('VATAmount', 'amount', 'vat_amount_fc'),
    ('VATCode', 'str', 'vat_code'),
    ('Currency', 'str', 'currency'),
    ('CostCenter', 'str', 'cost_center_code'),
    ('CostUnit', 'str', 'cost_unit_code'),
    ('Project', 'guid', 'project_id'),
], has_timestamp=false) }}
