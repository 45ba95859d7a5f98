-- Every loaded version of `cost_units` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'cost_units') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=False, has_modified=True) }},
    {{ exact_guid("ID") }} as cost_unit_id,
    trim({{ exact_str(exact_col('Code')) }}) as cost_unit_code,
    {{ exact_str(exact_col('Description')) }} as cost_unit_description,
    {{ exact_date("EndDate") }} as end_date
from {{ src }}
