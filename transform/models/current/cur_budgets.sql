-- Current state of `budgets`: latest version per (division, budget_id).

{{ exact_current('stg_budgets', 'budget_id') }}
