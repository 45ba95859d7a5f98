-- Cost units (hrm/Costunits); key division + code, the way transaction lines refer to them.
select
    {{ dbt.concat(["cast(division as " ~ dbt.type_string() ~ ")", "':'", "cost_unit_code"]) }} as cost_unit_key,
    division,
    cost_unit_id,
    cost_unit_code,
    cost_unit_description,
    {{ dbt.concat(["cost_unit_code", "' '", "coalesce(cost_unit_description, '')"]) }} as cost_unit_name,
    end_date,
    source_system,
    record_key,
    extracted_at,
    exact_modified
from {{ ref('cur_cost_units') }}
