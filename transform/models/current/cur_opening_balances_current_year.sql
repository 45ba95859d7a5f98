-- Current state of `opening_balances_current_year`: the rows of each division's latest snapshot (SnapshotTakenAt), one per key.

{{ exact_current_snapshot('stg_opening_balances_current_year', ['reporting_year', 'gl_account_id']) }}
