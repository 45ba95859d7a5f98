-- Every version of `accounts` with valid_from / valid_to (UTC), from an append-only load
-- (docs/warehouses.md "Load modes"); with an upsert load only the latest version is there.
{{ exact_history('stg_accounts', 'account_id', 'accounts') }}
