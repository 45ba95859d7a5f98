-- Every loaded version of `deleted` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('deleted', 'ID', [
    ('ID', 'guid', 'deleted_row_id'),
    ('EntityKey', 'guid', 'entity_key'),
    ('EntityType', 'int', 'entity_type'),
    ('stream_name', 'str', 'stream_name'),
    ('DeletedDate', 'ts', 'deleted_at'),
    ('DeletedBy', 'guid', 'deleted_by'),
], has_modified=false) }}
