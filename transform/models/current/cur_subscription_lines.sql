-- Current state of `subscription_lines`: latest version per (division, subscription_line_id), rows in `deleted` removed.

{{ exact_current('stg_subscription_lines', 'subscription_line_id', 'subscription_lines') }}
