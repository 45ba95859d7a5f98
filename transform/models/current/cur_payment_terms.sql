-- Current state of `payment_terms`: latest version per (division, payment_term_id), rows in `deleted` removed.

{{ exact_current('stg_payment_terms', 'payment_term_id', 'payment_terms') }}
