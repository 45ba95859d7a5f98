-- Current state of `reporting_balances`: the rows of each division's latest snapshot (SnapshotTakenAt), one per key.

{{ exact_current_snapshot('stg_reporting_balances', ['reporting_balance_id']) }}
