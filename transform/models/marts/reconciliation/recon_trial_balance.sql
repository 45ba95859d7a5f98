-- The trial balance against Exact's own per-period totals (financial/ReportingBalance, latest
-- snapshot), per division, financial year, period and GL account: debits, credits and net
-- movement from the warehouse (mart_trial_balance) and from Exact, their differences, and
-- is_match (every difference within half a cent). Only divisions whose ReportingBalance was
-- loaded are compared. tests/assert_trial_balance_equals_reporting_balance.sql fails on any
-- row that does not match; this model says where.
with ours as (
    select
        division, financial_year, financial_period, gl_account_id,
        max(gl_account_code) as gl_account_code,
        max(gl_account_description) as gl_account_description,
        sum(debit_dc) as debit_dc, sum(credit_dc) as credit_dc,
        sum(net_movement_dc) as net_dc, sum(line_count) as line_count
    from {{ ref('mart_trial_balance') }}
    where line_count > 0
    group by division, financial_year, financial_period, gl_account_id
),
exact as (
    select
        division, reporting_year as financial_year, reporting_period as financial_period,
        gl_account_id, max(gl_account_code) as gl_account_code,
        sum(debit_dc) as debit_dc, sum(credit_dc) as credit_dc, sum(amount_dc) as net_dc,
        sum(line_count) as line_count
    from {{ ref('cur_reporting_balances') }}
    group by division, reporting_year, reporting_period, gl_account_id
),
snapshots as (
    select division, max(snapshot_taken_at) as snapshot_taken_at
    from {{ ref('cur_reporting_balances') }}
    group by division
),
compared as (
    select
        coalesce(o.division, e.division) as division,
        coalesce(o.financial_year, e.financial_year) as financial_year,
        coalesce(o.financial_period, e.financial_period) as financial_period,
        coalesce(o.gl_account_id, e.gl_account_id) as gl_account_id,
        coalesce(o.gl_account_code, e.gl_account_code) as gl_account_code,
        o.gl_account_description,
        coalesce(o.debit_dc, 0) as warehouse_debit_dc,
        coalesce(e.debit_dc, 0) as exact_debit_dc,
        coalesce(o.credit_dc, 0) as warehouse_credit_dc,
        coalesce(e.credit_dc, 0) as exact_credit_dc,
        coalesce(o.net_dc, 0) as warehouse_net_dc,
        coalesce(e.net_dc, 0) as exact_net_dc,
        coalesce(o.line_count, 0) as warehouse_lines,
        coalesce(e.line_count, 0) as exact_lines
    from ours as o
    full outer join exact as e
        on e.division = o.division
        and e.financial_year = o.financial_year
        and e.financial_period = o.financial_period
        and e.gl_account_id = o.gl_account_id
)
select
    {{ dbt.concat(["cast(c.division as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(c.financial_year as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(c.financial_period as " ~ dbt.type_string() ~ ")", "':'",
                   "coalesce(c.gl_account_id, '-')"]) }} as recon_key,
    c.*,
    c.warehouse_debit_dc - c.exact_debit_dc as debit_difference_dc,
    c.warehouse_credit_dc - c.exact_credit_dc as credit_difference_dc,
    c.warehouse_net_dc - c.exact_net_dc as net_difference_dc,
    s.snapshot_taken_at,
    (abs(c.warehouse_debit_dc - c.exact_debit_dc) <= 0.005
        and abs(c.warehouse_credit_dc - c.exact_credit_dc) <= 0.005
        and abs(c.warehouse_net_dc - c.exact_net_dc) <= 0.005) as is_match
from compared as c
join snapshots as s on s.division = c.division
