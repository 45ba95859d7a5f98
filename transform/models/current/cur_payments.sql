-- Current state of `payments` (no deletions reported by Exact for this endpoint): latest version per (division, payment_id).
{{ exact_current('stg_payments', 'payment_id') }}
