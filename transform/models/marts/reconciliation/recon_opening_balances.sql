-- Opening balances of the trial balance (first period of each financial year, balance-sheet
-- accounts, the earlier years' result carried to retained earnings) against Exact's
-- openingbalance/CurrentYear/AfterEntry and PreviousYear/AfterEntry (latest snapshots), per
-- division, year and GL account, for the years Exact reported. is_match: within half a cent.
with exact as (
    select division, reporting_year, gl_account_id, gl_account_code, opening_balance_dc
    from {{ ref('cur_opening_balances_current_year') }}
    union all
    select division, reporting_year, gl_account_id, gl_account_code, opening_balance_dc
    from {{ ref('cur_opening_balances_previous_year') }}
),
years as (
    select distinct division, reporting_year from exact
),
ours as (
    select tb.division, tb.financial_year as reporting_year, tb.gl_account_id,
           tb.gl_account_code, tb.opening_balance_dc
    from {{ ref('mart_trial_balance') }} as tb
    join years as y on y.division = tb.division and y.reporting_year = tb.financial_year
    where tb.is_first_period_of_year
      and tb.balance_type = 'B'
      and abs(tb.opening_balance_dc) > 0.005
),
compared as (
    {{ recon_compared(['division', 'reporting_year', 'gl_account_id'], ['gl_account_code'],
                      [('opening_balance_dc', 'opening_dc')]) }}
)
select
    {{ dbt.concat(["cast(division as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(reporting_year as " ~ dbt.type_string() ~ ")", "':'",
                   "coalesce(gl_account_id, '-')"]) }} as recon_key,
    c.*,
    {{ recon_differences([('opening_dc', 'difference_dc')]) }},
    {{ recon_is_match(['opening_dc']) }} as is_match
from compared as c
