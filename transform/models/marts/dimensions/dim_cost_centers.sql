-- Cost centers (hrm/Costcenters); key division + code, the way transaction lines refer to them.
select
    {{ dbt.concat(["cast(division as " ~ dbt.type_string() ~ ")", "':'", "cost_center_code"]) }} as cost_center_key,
    division,
    cost_center_id,
    cost_center_code,
    cost_center_description,
    {{ dbt.concat(["cost_center_code", "' '", "coalesce(cost_center_description, '')"]) }} as cost_center_name,
    is_active,
    end_date,
    source_system,
    record_key,
    extracted_at,
    exact_modified
from {{ ref('cur_cost_centers') }}
