-- Profit and loss per division and period: every profit-and-loss account's movement in the
-- period and year to date (a thin select over mart_trial_balance), grouped by the GL
-- classification hierarchy and by the RGS mapping where present. net_movement_dc is debit
-- positive (costs positive, revenue negative); profit_dc and ytd_profit_dc flip the sign, so
-- revenue is positive and the sum over a period's lines is the period's result.
select
    division,
    financial_year,
    financial_period,
    period_start_date,
    period_end_date,
    gl_account_key,
    gl_account_code,
    gl_account_description,
    gl_account_type,
    balance_side,
    classification_path,
    level_1_name,
    level_2_name,
    rgs_code,
    rgs_description,
    net_movement_dc,
    closing_balance_dc as ytd_movement_dc,
    -net_movement_dc as profit_dc,
    -closing_balance_dc as ytd_profit_dc,
    line_count
from {{ ref('mart_trial_balance') }}
where balance_type = 'W'
