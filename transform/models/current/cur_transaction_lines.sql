-- Current state of `transaction_lines`: latest version per (division, transaction_line_id), rows in `deleted` removed.

{{ exact_current('stg_transaction_lines', 'transaction_line_id', 'transaction_lines') }}

