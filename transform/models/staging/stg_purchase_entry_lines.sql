-- Every loaded version of `purchase_entry_lines` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'purchase_entry_lines') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=False, has_modified=False) }},
    {{ exact_guid("ID") }} as purchase_entry_line_id,
    {{ exact_guid("EntryID") }} as entry_id,
    {{ exact_int("LineNumber") }} as line_number,
    {{ exact_guid("GLAccount") }} as gl_account_id,
    trim({{ exact_str("GLAccountCode") }}) as gl_account_code,
    {{ exact_str("CostCenter") }} as cost_center_code,
    {{ exact_str("CostUnit") }} as cost_unit_code,
    {{ exact_guid("Project") }} as project_id,
    {{ exact_str("VATCode") }} as vat_code,
    {{ exact_amount("Quantity") }} as quantity,
    {{ exact_amount("AmountDC") }} as amount_dc,
    {{ exact_amount("AmountFC") }} as amount_fc,
    {{ exact_amount("VATAmountDC") }} as vat_amount_dc,
    {{ exact_str(exact_col('Description')) }} as description
from {{ src }}
