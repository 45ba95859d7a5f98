-- Current state of `accounts`: latest version per (division, account_id), rows in `deleted` removed.

{{ exact_current('stg_accounts', 'account_id', 'accounts') }}

