-- Current state of `sales_orders`: latest version per (division, sales_order_id), rows in `deleted` removed.

{{ exact_current('stg_sales_orders', 'sales_order_id', 'sales_orders') }}
