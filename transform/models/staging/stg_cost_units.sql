-- Every loaded version of `cost_units` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('cost_units', 'ID', [
    ('ID', 'guid', 'cost_unit_id'),
    ('Code', 'code', 'cost_unit_code'),
    ('Description', 'str', 'cost_unit_description'),
    ('EndDate', 'date', 'end_date'),
], has_timestamp=false) }}
