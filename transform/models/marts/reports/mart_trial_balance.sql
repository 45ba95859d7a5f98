-- Trial balance: every GL account in every period of every division (quiet periods and
-- accounts without movement included), with the opening balance, the period's debits and
-- credits, and the closing balance, in the division's currency (AmountDC; debit positive).
--
-- Convention (as Exact's opening balances do it): balance-sheet accounts (BalanceType B)
-- carry their balance across financial years; profit-and-loss accounts (W) start every
-- financial year at zero; at the start of each financial year the result of all earlier years
-- (the sum of their P&L postings) is carried into the opening balance of the retained-earnings
-- account (GLAccounts.Type 52; see int_reporting_accounts). So per division and period the
-- closing balances sum to zero, and the opening balances of a year's first period equal
-- Exact's openingbalance/CurrentYear/AfterEntry (tests/assert_opening_balances_equal_exact.sql).
{%- set key = "cast(s.division as " ~ dbt.type_string() ~ ")" %}
with accounts as (
    select * from {{ ref('int_reporting_accounts') }}
),
periods as (
    select * from {{ ref('int_financial_periods') }}
),
movements as (
    select
        division, financial_year, financial_period, gl_account_key,
        sum(debit_dc) as debit_dc,
        sum(credit_dc) as credit_dc,
        sum(amount_dc) as net_movement_dc,
        count(*) as line_count
    from {{ ref('fct_transaction_lines') }}
    group by division, financial_year, financial_period, gl_account_key
),
yearly_result as (
    select m.division, m.financial_year, sum(m.net_movement_dc) as result_dc
    from movements as m
    join accounts as a on a.gl_account_key = m.gl_account_key
    where a.balance_type = 'W'
    group by m.division, m.financial_year
),
years as (
    select distinct division, financial_year from periods
),
carried as (
    select y.division, y.financial_year, coalesce(sum(r.result_dc), 0) as result_carried_dc
    from years as y
    left join yearly_result as r
        on r.division = y.division and r.financial_year < y.financial_year
    group by y.division, y.financial_year
),
spine as (
    select
        a.*, p.financial_year, p.financial_period, p.period_start_date, p.period_end_date,
        p.period_index, p.is_first_period_of_year
    from accounts as a
    join periods as p on p.division = a.division
),
joined as (
    select
        s.*,
        coalesce(m.debit_dc, 0) as debit_dc,
        coalesce(m.credit_dc, 0) as credit_dc,
        coalesce(m.net_movement_dc, 0) as net_movement_dc,
        coalesce(m.line_count, 0) as line_count,
        case when s.is_retained_earnings then coalesce(c.result_carried_dc, 0) else 0 end
            as result_carried_dc
    from spine as s
    left join movements as m
        on m.division = s.division
        and m.financial_year = s.financial_year
        and m.financial_period = s.financial_period
        and m.gl_account_key = s.gl_account_key
    left join carried as c
        on c.division = s.division and c.financial_year = s.financial_year
),
cumulated as (
    select
        j.*,
        sum(j.net_movement_dc) over (
            partition by j.division, j.gl_account_key,
                case when j.balance_type = 'W' then j.financial_year end
            order by j.period_index
            rows between unbounded preceding and current row
        ) + j.result_carried_dc as closing_balance_dc
    from joined as j
)
select
    {{ dbt.concat([key, "':'", "cast(s.financial_year as " ~ dbt.type_string() ~ ")", "':'",
                   "cast(s.financial_period as " ~ dbt.type_string() ~ ")", "':'",
                   "s.gl_account_id"]) }} as trial_balance_key,
    s.division,
    s.financial_year,
    s.financial_period,
    s.period_start_date,
    s.period_end_date,
    s.period_index,
    s.is_first_period_of_year,
    s.gl_account_key,
    s.gl_account_id,
    s.gl_account_code,
    s.gl_account_description,
    s.gl_account_type,
    s.balance_type,
    s.balance_side,
    s.statement,
    s.is_retained_earnings,
    s.classification_path,
    s.level_1_name,
    s.level_2_name,
    s.rgs_code,
    s.rgs_description,
    s.closing_balance_dc - s.net_movement_dc as opening_balance_dc,
    s.debit_dc,
    s.credit_dc,
    s.net_movement_dc,
    s.result_carried_dc,
    s.closing_balance_dc,
    case when s.closing_balance_dc > 0 then s.closing_balance_dc else 0 end as closing_debit_dc,
    case when s.closing_balance_dc < 0 then -s.closing_balance_dc else 0 end as closing_credit_dc,
    s.line_count
from cumulated as s
