-- Current state of `goods_delivery_lines`: latest version per (division, goods_delivery_line_id), rows in `deleted` removed.

{{ exact_current('stg_goods_delivery_lines', 'goods_delivery_line_id', 'goods_delivery_lines') }}
