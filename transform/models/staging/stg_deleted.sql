-- Every loaded version of `deleted` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'deleted') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=True, has_modified=False) }},
    {{ exact_guid("ID") }} as deleted_row_id,
    {{ exact_guid("EntityKey") }} as entity_key,
    {{ exact_int("EntityType") }} as entity_type,
    {{ exact_str("stream_name") }} as stream_name,
    {{ exact_timestamp("DeletedDate") }} as deleted_at,
    {{ exact_guid("DeletedBy") }} as deleted_by
from {{ src }}
