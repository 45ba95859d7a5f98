-- Current state of `gl_accounts`: latest version per (division, gl_account_id), rows in `deleted` removed.

{{ exact_current('stg_gl_accounts', 'gl_account_id', 'gl_accounts') }}

