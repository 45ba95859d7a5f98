-- Every version of `items` with valid_from / valid_to (UTC), from an append-only load
-- (docs/warehouses.md "Load modes"); with an upsert load only the latest version is there.
{{ exact_history('stg_items', 'item_id', 'items') }}
