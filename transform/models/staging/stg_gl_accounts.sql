-- Every loaded version of `gl_accounts` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'gl_accounts') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=True, has_modified=True) }},
    {{ exact_guid("ID") }} as gl_account_id,
    trim({{ exact_str(exact_col('Code')) }}) as gl_account_code,
    {{ exact_str(exact_col('Description')) }} as gl_account_description,
    {{ exact_int(exact_col('Type')) }} as gl_account_type,
    {{ exact_str("TypeDescription") }} as gl_account_type_description,
    {{ exact_str("BalanceSide") }} as balance_side,
    {{ exact_str("BalanceType") }} as balance_type,
    trim({{ exact_str("ReportingCode") }}) as reporting_code,
    {{ exact_str("SearchCode") }} as search_code,
    {{ exact_bool("IsBlocked") }} as is_blocked,
    {{ exact_str("Costcenter") }} as default_cost_center_code,
    {{ exact_str("Costunit") }} as default_cost_unit_code,
    {{ exact_str("VATCode") }} as vat_code
from {{ src }}
