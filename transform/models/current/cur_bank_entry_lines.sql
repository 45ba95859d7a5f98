-- Current state of `bank_entry_lines`: latest version per (division, bank_entry_line_id).

{{ exact_current('stg_bank_entry_lines', 'bank_entry_line_id') }}
