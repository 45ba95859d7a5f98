-- Current state of `bank_entries`: latest version per (division, entry_id).

{{ exact_current('stg_bank_entries', 'entry_id') }}
