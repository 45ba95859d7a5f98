-- Trial balance per division, financial year and period, per GL account: the period's debit,
-- credit and net movement, and the closing balance (balance-sheet accounts cumulate over all
-- years; profit-and-loss accounts restart every financial year). Per division and period the
-- net movements sum to zero (tests/assert_trial_balance_balances.sql).
with movements as (
    select
        division,
        financial_year,
        financial_period,
        gl_account_key,
        gl_account_id,
        sum(debit_dc) as debit_dc,
        sum(credit_dc) as credit_dc,
        sum(amount_dc) as net_movement_dc,
        count(*) as line_count
    from {{ ref('fct_transaction_lines') }}
    group by division, financial_year, financial_period, gl_account_key, gl_account_id
)
select
    {{ dbt.concat([
        "cast(m.division as " ~ dbt.type_string() ~ ")", "':'",
        "cast(m.financial_year as " ~ dbt.type_string() ~ ")", "':'",
        "cast(m.financial_period as " ~ dbt.type_string() ~ ")", "':'",
        "coalesce(m.gl_account_id, '-')"]) }} as trial_balance_key,
    m.division,
    m.financial_year,
    m.financial_period,
    m.gl_account_key,
    m.gl_account_id,
    g.gl_account_code,
    g.gl_account_description,
    g.balance_type,
    g.statement,
    g.classification_path,
    g.level_1_name,
    g.level_2_name,
    m.debit_dc,
    m.credit_dc,
    m.net_movement_dc,
    m.line_count,
    sum(m.net_movement_dc) over (
        partition by m.division, m.gl_account_key
            , case when g.balance_type = 'W' then m.financial_year end
        order by m.financial_year, m.financial_period
        rows between unbounded preceding and current row
    ) as closing_balance_dc
from movements as m
left join {{ ref('dim_gl_accounts') }} as g
    on g.gl_account_key = m.gl_account_key
