-- Current state of `general_journal_entry_lines`: latest version per (division, general_journal_entry_line_id).

{{ exact_current('stg_general_journal_entry_lines', 'general_journal_entry_line_id') }}
