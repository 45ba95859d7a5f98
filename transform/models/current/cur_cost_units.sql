-- Current state of `cost_units` (no deletions reported by Exact for this endpoint): latest version per (division, cost_unit_id).
{{ exact_current('stg_cost_units', 'cost_unit_id') }}
