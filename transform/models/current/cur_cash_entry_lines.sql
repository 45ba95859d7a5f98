-- Current state of `cash_entry_lines`: latest version per (division, cash_entry_line_id).

{{ exact_current('stg_cash_entry_lines', 'cash_entry_line_id') }}
