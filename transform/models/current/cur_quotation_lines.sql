-- Current state of `quotation_lines`: latest version per (division, quotation_line_id), rows in `deleted` removed.

{{ exact_current('stg_quotation_lines', 'quotation_line_id', 'quotation_lines') }}
