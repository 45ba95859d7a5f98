-- Current state of `sales_order_lines`: latest version per (division, sales_order_line_id), rows in `deleted` removed.

{{ exact_current('stg_sales_order_lines', 'sales_order_line_id', 'sales_order_lines') }}
