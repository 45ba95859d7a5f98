-- Current state of `aging_receivables_list`: the rows of each division's latest snapshot (SnapshotTakenAt), one per key.

{{ exact_current_snapshot('stg_aging_receivables_list', ['account_id']) }}
