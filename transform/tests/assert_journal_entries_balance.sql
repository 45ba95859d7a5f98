{{ config(severity='warn', store_failures=true) }}
-- Every journal entry balances: its lines (without Exact's total line) sum to zero in the
-- division's currency. Returns the entries that do not: it warns and stores them;
-- assert_warehouse_reconciles_with_exact (check 'every journal entry balances') fails the build.
select division, entry_id, sum(amount_dc) as imbalance_dc
from {{ ref('fct_transaction_lines') }}
group by division, entry_id
having abs(sum(amount_dc)) > 0.005
