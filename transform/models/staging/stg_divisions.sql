-- Every loaded version of `divisions` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'divisions') %}
select
    {{ audit_columns(src, exact_col('Code'), has_timestamp=False, has_modified=True) }},
    {{ exact_int(exact_col('Code')) }} as division_code,
    {{ exact_str(exact_col('Description')) }} as division_description,
    {{ exact_str("Currency") }} as currency,
    {{ exact_str("Country") }} as country,
    {{ exact_str("City") }} as city,
    {{ exact_str("VATNumber") }} as vat_number,
    {{ exact_str("ChamberOfCommerceNumber") }} as chamber_of_commerce,
    {{ exact_int(exact_col('Status')) }} as division_status,
    {{ exact_bool(exact_col('Current')) }} as is_current_division,
    {{ exact_bool("IsMainDivision") }} as is_main_division,
    {{ exact_date("StartDate") }} as start_date
from {{ src }}
