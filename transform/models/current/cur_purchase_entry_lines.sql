-- Current state of `purchase_entry_lines` (no deletions reported by Exact for this endpoint): latest version per (division, purchase_entry_line_id).
{{ exact_current('stg_purchase_entry_lines', 'purchase_entry_line_id') }}
