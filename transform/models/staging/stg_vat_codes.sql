-- vat/VATCodes (full table).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('vat_codes', 'ID', [
    ('ID', 'guid', 'vat_code_id'),
    ('Code', 'code', 'vat_code'),
    ('Description', 'str', 'vat_code_description'),
    ('Percentage', 'number', 'vat_percentage'),
    ('Type', 'str', 'vat_type'),
    ('GLToPay', 'guid', 'gl_to_pay_account_id'),
    ('GLToClaim', 'guid', 'gl_to_claim_account_id'),
    ('Country', 'str', 'country'),
], has_timestamp=false) }}
