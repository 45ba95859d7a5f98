{{ config(severity='warn', store_failures=true) }}
-- Per division and period the trial balance nets to zero: the period's debits equal its
-- credits, and the closing balances of all accounts (the result of closed years carried to
-- retained earnings, see mart_trial_balance) sum to zero. Returns the periods that do not
-- (warns; assert_warehouse_reconciles_with_exact fails the build).
select
    division, financial_year, financial_period,
    sum(debit_dc) - sum(credit_dc) as debit_minus_credit_dc,
    sum(closing_balance_dc) as closing_balance_total_dc
from {{ ref('mart_trial_balance') }}
group by division, financial_year, financial_period
having abs(sum(debit_dc) - sum(credit_dc)) > 0.005
    or abs(sum(closing_balance_dc)) > 0.005
