-- Divisions (system/Divisions): one row per division code. With all_divisions the tap may
-- read the list once per division; the most recently modified row wins.
select
    division_code,
    division_description,
    currency,
    country,
    city,
    vat_number,
    chamber_of_commerce,
    division_status,
    is_main_division,
    start_date,
    source_system,
    extracted_at,
    exact_modified
from {{ ref('cur_divisions') }}
where true
qualify row_number() over (partition by division_code order by exact_modified desc nulls last, division asc) = 1
