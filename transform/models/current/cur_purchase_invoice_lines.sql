-- Current state of `purchase_invoice_lines`: latest version per (division, purchase_invoice_line_id).

{{ exact_current('stg_purchase_invoice_lines', 'purchase_invoice_line_id') }}
