-- Current state of `goods_deliveries`: latest version per (division, goods_delivery_id), rows in `deleted` removed.

{{ exact_current('stg_goods_deliveries', 'goods_delivery_id', 'goods_deliveries') }}
