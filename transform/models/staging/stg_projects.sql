-- Every loaded version of `projects` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'projects') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=True, has_modified=True) }},
    {{ exact_guid("ID") }} as project_id,
    trim({{ exact_str(exact_col('Code')) }}) as project_code,
    {{ exact_str(exact_col('Description')) }} as project_description,
    {{ exact_guid("Account") }} as account_id,
    {{ exact_str("AccountName") }} as account_name,
    {{ exact_guid("Manager") }} as manager_id,
    {{ exact_str("ManagerFullname") }} as manager_name,
    {{ exact_int(exact_col('Type')) }} as project_type,
    {{ exact_str("TypeDescription") }} as project_type_description,
    {{ exact_str("ClassificationDescription") }} as classification_description,
    {{ exact_date("StartDate") }} as start_date,
    {{ exact_date("EndDate") }} as end_date,
    {{ exact_amount("BudgetedAmount") }} as budgeted_amount,
    {{ exact_amount("BudgetedCosts") }} as budgeted_costs,
    {{ exact_amount("BudgetedRevenue") }} as budgeted_revenue,
    {{ exact_bool("BlockEntry") }} as is_entry_blocked
from {{ src }}
