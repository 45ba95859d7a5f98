-- Every loaded version of `time_cost_transactions` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'time_cost_transactions') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=True, has_modified=True) }},
    {{ exact_guid("ID") }} as time_cost_transaction_id,
    {{ exact_guid("Project") }} as project_id,
    {{ exact_str("ProjectCode") }} as project_code,
    {{ exact_guid("Account") }} as account_id,
    {{ exact_guid("Employee") }} as employee_id,
    {{ exact_guid("Item") }} as item_id,
    {{ exact_str("ItemDescription") }} as item_description,
    {{ exact_date(exact_col('Date')) }} as transaction_date,
    {{ exact_int(exact_col('Type')) }} as transaction_type,
    {{ exact_int("HourStatus") }} as hour_status,
    {{ exact_amount("Quantity") }} as quantity,
    {{ exact_amount("PriceFC") }} as price_fc,
    {{ exact_amount("AmountFC") }} as amount_fc,
    {{ exact_str("Currency") }} as currency,
    {{ exact_str("Notes") }} as notes
from {{ src }}
