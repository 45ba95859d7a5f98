-- Current state of `items`: latest version per (division, item_id), rows in `deleted` removed.

{{ exact_current('stg_items', 'item_id', 'items') }}

