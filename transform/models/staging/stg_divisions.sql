-- Every loaded version of `divisions` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('divisions', 'Code', [
    ('Code', 'int', 'division_code'),
    ('Description', 'str', 'division_description'),
    ('Currency', 'str', 'currency'),
    ('Country', 'str', 'country'),
    ('City', 'str', 'city'),
    ('VATNumber', 'str', 'vat_number'),
    ('ChamberOfCommerceNumber', 'str', 'chamber_of_commerce'),
    ('Status', 'int', 'division_status'),
    ('Current', 'bool', 'is_current_division'),
    ('IsMainDivision', 'bool', 'is_main_division'),
    ('StartDate', 'date', 'start_date'),
], has_timestamp=false) }}
