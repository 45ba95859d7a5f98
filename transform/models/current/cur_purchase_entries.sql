-- Current state of `purchase_entries` (no deletions reported by Exact for this endpoint): latest version per (division, entry_id).
{{ exact_current('stg_purchase_entries', 'entry_id') }}
