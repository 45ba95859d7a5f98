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
    select
        coalesce(o.division, e.division) as division,
        coalesce(o.item_type, e.item_type) as item_type,
        coalesce(o.account_id, e.account_id) as account_id,
        coalesce(o.currency, e.currency) as currency,
        coalesce(o.account_code, e.account_code) as account_code,
        coalesce(o.account_name, e.account_name) as account_name,
        coalesce(o.open_amount, 0) as warehouse_open_amount,
        coalesce(e.open_amount, 0) as exact_open_amount,
        coalesce(o.open_items, 0) as warehouse_open_items,
        coalesce(e.open_items, 0) as exact_open_items
    from ours as o
    full outer join exact as e
        on e.division = o.division
        and e.item_type = o.item_type
        and e.account_id = o.account_id
        and e.currency = o.currency
)
select
    {{ dbt.concat(["cast(c.division as " ~ dbt.type_string() ~ ")", "':'", "c.item_type", "':'",
                   "coalesce(c.account_id, '-')", "':'", "coalesce(c.currency, '-')"]) }} as recon_key,
    c.*,
    c.warehouse_open_amount - c.exact_open_amount as difference,
    (abs(c.warehouse_open_amount - c.exact_open_amount) <= 0.005
        and c.warehouse_open_items = c.exact_open_items) as is_match
from compared as c
where c.division in (select division from reported)
