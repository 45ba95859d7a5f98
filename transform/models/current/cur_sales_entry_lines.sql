-- Current state of `sales_entry_lines`: latest version per (division, sales_entry_line_id).

{{ exact_current('stg_sales_entry_lines', 'sales_entry_line_id') }}
