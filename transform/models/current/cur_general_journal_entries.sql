-- Current state of `general_journal_entries`: latest version per (division, entry_id).

{{ exact_current('stg_general_journal_entries', 'entry_id') }}
