-- The gate of the reconciliation: fails the build when any check of mart_reconciliation differs
-- (trial balance = Exact's ReportingBalance, open items = ReceivablesList/PayablesList, opening
-- balances = Exact's, every journal entry balances, every period nets to zero).
--
-- The detailed tests (assert_trial_balance_equals_reporting_balance, ...) warn and store the
-- differing rows (analytics_dbt_test__audit.<test>); they do not fail the build themselves, so
-- that a difference upstream never skips the models that say where it is. This test, on the
-- last model, fails it.
select check_name, division, compared, differences, max_difference
from {{ ref('mart_reconciliation') }}
where status <> 'OK'
