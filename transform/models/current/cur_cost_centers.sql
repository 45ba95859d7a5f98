-- Current state of `cost_centers` (no deletions reported by Exact for this endpoint): latest version per (division, cost_center_id).
{{ exact_current('stg_cost_centers', 'cost_center_id') }}
