{{ config(severity='warn', store_failures=true) }}
-- Open items from the general ledger equal Exact's ReceivablesList and PayablesList per
-- division, account and currency (amount to the cent, number of items). Returns the accounts
-- that differ (models/marts/reconciliation/recon_open_items.sql).
select division, item_type, account_code, account_name, currency, warehouse_open_amount,
       exact_open_amount, difference, warehouse_open_items, exact_open_items
from {{ ref('recon_open_items') }}
where not is_match
