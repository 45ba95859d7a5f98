-- Current state of `cash_entries`: latest version per (division, entry_id).

{{ exact_current('stg_cash_entries', 'entry_id') }}
