-- Current state of `subscriptions`: latest version per (division, subscription_id), rows in `deleted` removed.

{{ exact_current('stg_subscriptions', 'subscription_id', 'subscriptions') }}
