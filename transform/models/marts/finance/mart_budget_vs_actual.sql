-- Budget vs actual per division, budget scenario, financial year, period and GL account
-- (budget/Budgets against mart_trial_balance). Rows: every profit-and-loss account, and every
-- other account with a budget in the scenario, in every period of the scenario's year.
-- Amounts are debit positive like the postings (Exact budgets revenue as negative amounts):
-- variance_dc = actual - budget, so a negative variance is favourable for the result.
-- ytd_* accumulate from the year's first period.
with budgets as (
    select
        division, budget_scenario_code,
        max(budget_scenario_description) as budget_scenario_description,
        reporting_year, reporting_period, gl_account_id, sum(budget_amount_dc) as budget_dc
    from {{ ref('cur_budgets') }}
    group by division, budget_scenario_code, reporting_year, reporting_period, gl_account_id
),
scenarios as (
    select distinct division, budget_scenario_code, budget_scenario_description, reporting_year
    from budgets
),
budgeted_accounts as (
    select distinct division, budget_scenario_code, reporting_year, gl_account_id from budgets
),
grid as (
    select s.budget_scenario_code, s.budget_scenario_description, tb.*
    from scenarios as s
    join {{ ref('mart_trial_balance') }} as tb
        on tb.division = s.division and tb.financial_year = s.reporting_year
    left join budgeted_accounts as b
        on b.division = s.division
        and b.budget_scenario_code = s.budget_scenario_code
        and b.reporting_year = s.reporting_year
        and b.gl_account_id = tb.gl_account_id
    where tb.balance_type = 'W' or b.gl_account_id is not null
),
compared as (
    select
        g.division, g.budget_scenario_code, g.budget_scenario_description, g.financial_year,
        g.financial_period, g.period_index, g.gl_account_key, g.gl_account_code,
        g.gl_account_description, g.balance_type, g.classification_path, g.rgs_code,
        coalesce(b.budget_dc, 0) as budget_dc,
        g.net_movement_dc as actual_dc
    from grid as g
    left join budgets as b
        on b.division = g.division
        and b.budget_scenario_code = g.budget_scenario_code
        and b.reporting_year = g.financial_year
        and b.reporting_period = g.financial_period
        and b.gl_account_id = g.gl_account_id
)
select
    {{ dbt.concat(["cast(division as " ~ dbt.type_string() ~ ")", "':'", "budget_scenario_code", "':'",
                   "cast(financial_year as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(financial_period as " ~ dbt.type_string() ~ ")", "':'", "gl_account_key"]) }}
        as budget_vs_actual_key,
    c.*,
    c.actual_dc - c.budget_dc as variance_dc,
    case when c.budget_dc <> 0 then round((c.actual_dc - c.budget_dc) / abs(c.budget_dc) * 100, 1)
    end as variance_pct,
    sum(c.budget_dc) over (
        partition by c.division, c.budget_scenario_code, c.financial_year, c.gl_account_key
        order by c.financial_period rows between unbounded preceding and current row
    ) as ytd_budget_dc,
    sum(c.actual_dc) over (
        partition by c.division, c.budget_scenario_code, c.financial_year, c.gl_account_key
        order by c.financial_period rows between unbounded preceding and current row
    ) as ytd_actual_dc
from compared as c
