-- Per division and period the trial balance's net movements sum to zero.
select division, financial_year, financial_period, sum(net_movement_dc) as imbalance_dc
from {{ ref('mart_trial_balance') }}
group by division, financial_year, financial_period
having abs(sum(net_movement_dc)) > 0.005
