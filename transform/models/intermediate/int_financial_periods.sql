-- The period calendar of every division: Exact's financial periods (financial/FinancialPeriods)
-- from the first financial year with a posting on, plus any (year, period) that has postings
-- but no calendar row (then dated by its first and last posting). period_index numbers the
-- periods of a division in order; a year's first period opens it.
{%- set key = "cast(p.division as " ~ dbt.type_string() ~ ")" %}
with calendar as (
    select division, financial_year, financial_period, start_date, end_date
    from {{ ref('cur_financial_periods') }}
),
posted as (
    select division, financial_year, financial_period,
           min(entry_date) as first_date, max(entry_date) as last_date
    from {{ ref('fct_transaction_lines') }}
    group by division, financial_year, financial_period
),
periods as (
    select division, financial_year, financial_period, start_date, end_date from calendar
    union all
    select p.division, p.financial_year, p.financial_period, p.first_date, p.last_date
    from posted as p
    where not exists (
        select 1 from calendar as c
        where c.division = p.division
          and c.financial_year = p.financial_year
          and c.financial_period = p.financial_period
    )
),
first_years as (
    select division, min(financial_year) as first_year from posted group by division
)
select
    {{ dbt.concat([key, "':'", "cast(p.financial_year as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(p.financial_period as " ~ dbt.type_string() ~ ")"]) }} as period_key,
    p.division,
    p.financial_year,
    p.financial_period,
    p.start_date as period_start_date,
    p.end_date as period_end_date,
    row_number() over (
        partition by p.division order by p.financial_year, p.financial_period
    ) as period_index,
    p.financial_period = min(p.financial_period) over (
        partition by p.division, p.financial_year
    ) as is_first_period_of_year
from periods as p
join first_years as f
    on f.division = p.division and p.financial_year >= f.first_year
