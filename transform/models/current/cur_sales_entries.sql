-- Current state of `sales_entries`: latest version per (division, entry_id).

{{ exact_current('stg_sales_entries', 'entry_id') }}
