-- Current state of `time_cost_transactions`: latest version per (division, time_cost_transaction_id), rows in `deleted` removed.

{{ exact_current('stg_time_cost_transactions', 'time_cost_transaction_id', 'time_cost_transactions') }}

