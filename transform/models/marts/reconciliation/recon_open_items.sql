-- Open items from the warehouse's general ledger (int_open_items_current: every loaded line)
-- against Exact's own lists (read/financial/ReceivablesList and PayablesList, latest snapshot),
-- per division, receivable/payable, account and currency: the open amount in the invoice's
-- currency and the number of open items on each side, and is_match (amounts within half a
-- cent, same count). Divisions are compared when any of their reports was loaded (an empty
-- list is a valid answer). tests/assert_open_items_equal_exact_lists.sql fails on any row
-- that does not match.
with ours as (
    select division, item_type, account_id, currency,
           max(account_code) as account_code, max(account_name) as account_name,
           sum(open_amount_fc) as open_amount, count(*) as open_items
    from {{ ref('int_open_items_current') }}
    group by division, item_type, account_id, currency
),
lists as (
    select division, 'receivable' as item_type, account_id, currency, account_code,
           account_name, open_amount, snapshot_taken_at
    from {{ ref('cur_receivables_list') }}
    union all
    select division, 'payable' as item_type, account_id, currency, account_code, account_name,
           open_amount, snapshot_taken_at
    from {{ ref('cur_payables_list') }}
),
exact as (
    select division, item_type, account_id, currency, max(account_code) as account_code,
           max(account_name) as account_name, sum(open_amount) as open_amount,
           count(*) as open_items
    from lists
    group by division, item_type, account_id, currency
),
reported as (
    select division from {{ ref('cur_reporting_balances') }}
    union all
    select division from lists
),
compared as (
    {{ recon_compared(['division', 'item_type', 'account_id', 'currency'],
                      ['account_code', 'account_name'],
                      [('open_amount', 'open_amount'), ('open_items', 'open_items')]) }}
)
select
    {{ dbt.concat(["cast(c.division as " ~ dbt.type_string() ~ ")", "':'", "c.item_type", "':'",
                   "coalesce(c.account_id, '-')", "':'", "coalesce(c.currency, '-')"]) }} as recon_key,
    c.*,
    {{ recon_differences([('open_amount', 'difference')]) }},
    {{ recon_is_match(['open_amount'], counts=['open_items']) }} as is_match
from compared as c
where c.division in (select division from reported)
