-- Balance sheet per division and period end: every balance-sheet account's closing balance
-- (a thin select over mart_trial_balance), grouped by the GL classification hierarchy
-- (classification_path, level_1/2_name) and by the RGS mapping (rgs_*) where present, plus one
-- line per period for the current financial year's result so far (the P&L accounts' closing
-- balances), which is not yet carried to retained earnings. The lines of a period sum to zero
-- (closing_balance_dc, debit positive); reported_amount_dc shows debit-side accounts (assets)
-- as positive and credit-side accounts (liabilities, equity) as positive too.
with tb as (
    select * from {{ ref('mart_trial_balance') }}
),
accounts as (
    select
        division, financial_year, financial_period, period_end_date,
        cast('account' as {{ dbt.type_string() }}) as line_type,
        gl_account_key, gl_account_code, gl_account_description, balance_side,
        classification_path, level_1_name, level_2_name, rgs_code, rgs_description,
        closing_balance_dc
    from tb
    where balance_type = 'B'
),
current_result as (
    select
        division, financial_year, financial_period, max(period_end_date) as period_end_date,
        cast('current_year_result' as {{ dbt.type_string() }}) as line_type,
        cast(null as {{ dbt.type_string() }}) as gl_account_key,
        cast(null as {{ dbt.type_string() }}) as gl_account_code,
        cast('Result current financial year' as {{ dbt.type_string() }}) as gl_account_description,
        cast('C' as {{ dbt.type_string() }}) as balance_side,
        cast(null as {{ dbt.type_string() }}) as classification_path,
        cast(null as {{ dbt.type_string() }}) as level_1_name,
        cast(null as {{ dbt.type_string() }}) as level_2_name,
        cast(null as {{ dbt.type_string() }}) as rgs_code,
        cast(null as {{ dbt.type_string() }}) as rgs_description,
        sum(closing_balance_dc) as closing_balance_dc
    from tb
    where balance_type = 'W'
    group by division, financial_year, financial_period
)
select
    l.*,
    case when l.balance_side = 'C' then -l.closing_balance_dc else l.closing_balance_dc end
        as reported_amount_dc
from (
    select * from accounts
    union all
    select * from current_result
) as l
