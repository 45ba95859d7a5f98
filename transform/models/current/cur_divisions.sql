-- Current state of `divisions` (no deletions reported by Exact for this endpoint): latest version per (division, division_code).
{{ exact_current('stg_divisions', 'division_code') }}
