{{ config(severity='warn', store_failures=true) }}
-- The trial balance equals Exact's ReportingBalance per division, financial year, period and
-- GL account, to the cent. Returns the rows that differ (models/marts/reconciliation/
-- recon_trial_balance.sql): warehouse vs Exact debits, credits and net movement.
select division, financial_year, financial_period, gl_account_code, gl_account_description,
       warehouse_debit_dc, exact_debit_dc, warehouse_credit_dc, exact_credit_dc,
       warehouse_net_dc, exact_net_dc, net_difference_dc, warehouse_lines, exact_lines
from {{ ref('recon_trial_balance') }}
where not is_match
