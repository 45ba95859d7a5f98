-- Current state of `purchase_invoices`: latest version per (division, purchase_invoice_id).

{{ exact_current('stg_purchase_invoices', 'purchase_invoice_id') }}
