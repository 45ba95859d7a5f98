-- Every loaded version of `gl_classifications` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'gl_classifications') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=True, has_modified=True) }},
    {{ exact_guid("ID") }} as gl_classification_id,
    trim({{ exact_str(exact_col('Code')) }}) as gl_classification_code,
    {{ exact_str(exact_col('Name')) }} as gl_classification_name,
    {{ exact_str(exact_col('Description')) }} as gl_classification_description,
    {{ exact_guid("Parent") }} as parent_gl_classification_id,
    {{ exact_bool("Abstract") }} as is_abstract,
    {{ exact_str("Balance") }} as balance_side,
    {{ exact_str("PeriodType") }} as period_type,
    {{ exact_guid(exact_col('Type')) }} as classification_type_id,
    {{ exact_guid("TaxonomyNamespace") }} as taxonomy_namespace_id,
    {{ exact_str("TaxonomyNamespaceDescription") }} as taxonomy_namespace_description
from {{ src }}
