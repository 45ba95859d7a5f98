{{ config(severity='warn', store_failures=true) }}
-- The trial balance's opening balances (result of closed years carried to retained earnings)
-- equal Exact's opening balances of the current and previous financial year, per GL account.
-- Returns the accounts that differ (models/marts/reconciliation/recon_opening_balances.sql).
select division, reporting_year, gl_account_code, warehouse_opening_dc, exact_opening_dc,
       difference_dc
from {{ ref('recon_opening_balances') }}
where not is_match
