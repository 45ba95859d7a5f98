-- Current state of `exchange_rates`: latest version per (division, exchange_rate_id).

{{ exact_current('stg_exchange_rates', 'exchange_rate_id') }}
