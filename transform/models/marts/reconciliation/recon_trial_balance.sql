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
    {{ recon_compared(['division', 'financial_year', 'financial_period', 'gl_account_id'],
                      ['gl_account_code'],
                      [('debit_dc', 'debit_dc'), ('credit_dc', 'credit_dc'), ('net_dc', 'net_dc'),
                       ('line_count', 'lines')],
                      ours_only=['gl_account_description']) }}
)
select
    {{ dbt.concat(["cast(c.division as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(c.financial_year as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(c.financial_period as " ~ dbt.type_string() ~ ")", "':'",
                   "coalesce(c.gl_account_id, '-')"]) }} as recon_key,
    c.*,
    {{ recon_differences([('debit_dc', 'debit_difference_dc'), ('credit_dc', 'credit_difference_dc'),
                          ('net_dc', 'net_difference_dc')]) }},
    s.snapshot_taken_at,
    {{ recon_is_match(['debit_dc', 'credit_dc', 'net_dc']) }} as is_match
from compared as c
join snapshots as s on s.division = c.division
