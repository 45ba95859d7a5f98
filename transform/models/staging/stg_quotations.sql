-- sync/CRM/QuotationHeaders (Timestamp).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('quotations', 'ID', [
    ('ID', 'guid', 'quotation_row_id'),
    ('QuotationID', 'guid', 'quotation_id'),
    ('QuotationNumber', 'int', 'quotation_number'),
    ('VersionNumber', 'int', 'version_number'),
    ('QuotationDate', 'date', 'quotation_date'),
    ('DueDate', 'date', 'due_date'),
    ('ClosingDate', 'date', 'closing_date'),
    ('OrderAccount', 'guid', 'order_account_id'),
    ('OrderAccountName', 'str', 'order_account_name'),
    ('Description', 'str', 'description'),
    ('Currency', 'str', 'currency'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('Status', 'int', 'status'),
    ('StatusDescription', 'str', 'status_description'),
]) }}
