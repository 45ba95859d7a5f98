-- Current state of `receivables` (no deletions reported by Exact for this endpoint): latest version per (division, receivable_id).
{{ exact_current('stg_receivables', 'receivable_id') }}
