select
    p.record_key as project_key,
    p.division,
    p.project_id,
    p.project_code,
    p.project_description,
    p.account_id,
    coalesce(a.account_name, p.account_name) as account_name,
    p.manager_id,
    p.manager_name,
    p.project_type,
    p.project_type_description,
    p.classification_description,
    p.start_date,
    p.end_date,
    p.budgeted_amount,
    p.budgeted_costs,
    p.budgeted_revenue,
    p.source_system,
    p.extracted_at,
    p.exact_timestamp,
    p.exact_modified
from {{ ref('cur_projects') }} as p
left join {{ ref('cur_accounts') }} as a
    on a.division = p.division and a.account_id = p.account_id
