-- Cash movement per division, period and bank or cash journal (financial/Journals Type 12 bank,
-- 10 cash): the opening and closing balance of the journal's GL account (mart_trial_balance)
-- and what moved it. journal_movement_dc is the change posted through the journal itself,
-- split by counterpart (the other lines of the same entries): customers (receivables
-- accounts, GLAccounts.Type 20), suppliers (payables, 22), transfers (other bank and cash
-- accounts), other (charges, expenses, ...); positive = money in. other_journals_movement_dc is
-- what other journals posted to the same GL account (a cash withdrawal booked from the bank
-- statement, a memorial correction). opening + journal + other journals = closing.
with journals as (
    select division, journal_code, journal_description, journal_type, gl_account_id
    from {{ ref('cur_journals') }}
    where journal_type in (10, 12)
),
cash_accounts as (
    select distinct division, gl_account_id from journals
),
lines as (
    select t.*, a.gl_account_type, (c.gl_account_id is not null) as is_cash_account
    from {{ ref('fct_transaction_lines') }} as t
    left join {{ ref('int_reporting_accounts') }} as a on a.gl_account_key = t.gl_account_key
    left join cash_accounts as c
        on c.division = t.division and c.gl_account_id = t.gl_account_id
),
journal_lines as (
    select
        l.division, l.financial_year, l.financial_period, j.journal_code,
        sum(case when l.gl_account_id = j.gl_account_id then l.amount_dc else 0 end)
            as journal_movement_dc,
        sum(case when l.gl_account_id = j.gl_account_id and l.amount_dc > 0 then l.amount_dc
                 else 0 end) as money_in_dc,
        sum(case when l.gl_account_id = j.gl_account_id and l.amount_dc < 0 then -l.amount_dc
                 else 0 end) as money_out_dc,
        sum(case when l.gl_account_id <> j.gl_account_id and l.gl_account_type = 20
                 then -l.amount_dc else 0 end) as customers_dc,
        sum(case when l.gl_account_id <> j.gl_account_id and l.gl_account_type = 22
                 then -l.amount_dc else 0 end) as suppliers_dc,
        sum(case when l.gl_account_id <> j.gl_account_id
                  and coalesce(l.gl_account_type, 0) not in (20, 22) and l.is_cash_account
                 then -l.amount_dc else 0 end) as transfers_dc
    from lines as l
    join journals as j on j.division = l.division and j.journal_code = l.journal_code
    group by l.division, l.financial_year, l.financial_period, j.journal_code
),
spine as (
    select
        j.*, tb.financial_year, tb.financial_period, tb.period_end_date, tb.opening_balance_dc,
        tb.net_movement_dc, tb.closing_balance_dc
    from journals as j
    join {{ ref('mart_trial_balance') }} as tb
        on tb.division = j.division and tb.gl_account_id = j.gl_account_id
)
select
    {{ dbt.concat(["cast(s.division as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(s.financial_year as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(s.financial_period as " ~ dbt.type_string() ~ ")", "':'", "s.journal_code"]) }}
        as cash_movement_key,
    s.division,
    s.financial_year,
    s.financial_period,
    s.period_end_date,
    s.journal_code,
    s.journal_description,
    case s.journal_type when 10 then 'cash' else 'bank' end as journal_kind,
    s.gl_account_id,
    s.opening_balance_dc,
    coalesce(m.money_in_dc, 0) as money_in_dc,
    coalesce(m.money_out_dc, 0) as money_out_dc,
    coalesce(m.journal_movement_dc, 0) as journal_movement_dc,
    coalesce(m.customers_dc, 0) as customers_dc,
    coalesce(m.suppliers_dc, 0) as suppliers_dc,
    coalesce(m.transfers_dc, 0) as transfers_dc,
    coalesce(m.journal_movement_dc, 0) - coalesce(m.customers_dc, 0) - coalesce(m.suppliers_dc, 0)
        - coalesce(m.transfers_dc, 0) as other_dc,
    s.net_movement_dc - coalesce(m.journal_movement_dc, 0) as other_journals_movement_dc,
    s.closing_balance_dc
from spine as s
left join journal_lines as m
    on m.division = s.division
    and m.financial_year = s.financial_year
    and m.financial_period = s.financial_period
    and m.journal_code = s.journal_code
