-- general/Currencies (full table); key Code.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('currencies', 'Code', [
    ('Code', 'code', 'currency_code'),
    ('Description', 'str', 'currency_description'),
    ('AmountPrecision', 'number', 'amount_precision'),
], has_timestamp=false) }}
