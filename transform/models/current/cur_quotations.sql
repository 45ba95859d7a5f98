-- Current state of `quotations`: latest version per (division, quotation_row_id), rows in `deleted` removed.

{{ exact_current('stg_quotations', 'quotation_row_id', 'quotations') }}
