-- Current state of `financial_periods`: latest version per (division, financial_period_id).

{{ exact_current('stg_financial_periods', 'financial_period_id') }}
