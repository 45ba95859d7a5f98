-- One row per division and check: is the warehouse equal to Exact's own reports, and do the
-- books balance? status OK when nothing differs, DIFF otherwise (the recon_* model of the
-- check says where). `make demo` prints this table.
with checks as (
    select 'trial balance = Exact ReportingBalance' as check_name, division,
           count(*) as compared, sum(case when is_match then 0 else 1 end) as differences,
           max(abs(net_difference_dc)) as max_difference
    from {{ ref('recon_trial_balance') }}
    group by division
    union all
    select 'open receivables = Exact ReceivablesList', division, count(*),
           sum(case when is_match then 0 else 1 end), max(abs(difference))
    from {{ ref('recon_open_items') }}
    where item_type = 'receivable'
    group by division
    union all
    select 'open payables = Exact PayablesList', division, count(*),
           sum(case when is_match then 0 else 1 end), max(abs(difference))
    from {{ ref('recon_open_items') }}
    where item_type = 'payable'
    group by division
    union all
    select 'opening balances = Exact OpeningBalance', division, count(*),
           sum(case when is_match then 0 else 1 end), max(abs(difference_dc))
    from {{ ref('recon_opening_balances') }}
    group by division
    union all
    select 'every journal entry balances', division, count(*),
           sum(case when abs(imbalance_dc) > 0.005 then 1 else 0 end), max(abs(imbalance_dc))
    from (
        select division, entry_id, sum(amount_dc) as imbalance_dc
        from {{ ref('fct_transaction_lines') }}
        group by division, entry_id
    ) as entries
    group by division
    union all
    select 'trial balance nets to zero per period', division, count(*),
           sum(case when abs(closing_total_dc) > 0.005 then 1 else 0 end),
           max(abs(closing_total_dc))
    from (
        select division, financial_year, financial_period,
               sum(closing_balance_dc) as closing_total_dc
        from {{ ref('mart_trial_balance') }}
        group by division, financial_year, financial_period
    ) as periods
    group by division
)
select
    {{ dbt.concat(["cast(division as " ~ dbt.type_string() ~ ")", "':'", "check_name"]) }} as reconciliation_key,
    check_name,
    division,
    compared,
    differences,
    coalesce(max_difference, 0) as max_difference,
    case when differences = 0 then 'OK' else 'DIFF' end as status
from checks
