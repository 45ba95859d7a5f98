-- Current state of `purchase_orders`: latest version per (division, purchase_order_line_id), rows in `deleted` removed.

{{ exact_current('stg_purchase_orders', 'purchase_order_line_id', 'purchase_orders') }}
