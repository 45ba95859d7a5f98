-- Every loaded version of `cost_centers` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'cost_centers') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=False, has_modified=True) }},
    {{ exact_guid("ID") }} as cost_center_id,
    trim({{ exact_str(exact_col('Code')) }}) as cost_center_code,
    {{ exact_str(exact_col('Description')) }} as cost_center_description,
    {{ exact_bool("Active") }} as is_active,
    {{ exact_date("EndDate") }} as end_date
from {{ src }}
