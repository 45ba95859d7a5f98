-- Every loaded version of `cost_centers` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('cost_centers', 'ID', [
    ('ID', 'guid', 'cost_center_id'),
    ('Code', 'code', 'cost_center_code'),
    ('Description', 'str', 'cost_center_description'),
    ('Active', 'bool', 'is_active'),
    ('EndDate', 'date', 'end_date'),
], has_timestamp=false) }}
