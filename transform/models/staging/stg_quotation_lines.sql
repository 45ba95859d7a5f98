-- sync/CRM/QuotationLines (Timestamp).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('quotation_lines', 'ID', [
    ('ID', 'guid', 'quotation_line_id'),
    ('QuotationID', 'guid', 'quotation_id'),
    ('QuotationNumber', 'int', 'quotation_number'),
    ('LineNumber', 'int', 'line_number'),
    ('Item', 'guid', 'item_id'),
    ('Description', 'str', 'description'),
    ('Quantity', 'number', 'quantity'),
    ('UnitPrice', 'amount', 'unit_price'),
    ('NetPrice', 'amount', 'net_price'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('VATAmountFC', 'amount', 'vat_amount_fc'),
    ('VATCode', 'str', 'vat_code'),
]) }}
