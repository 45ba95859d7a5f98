-- Current state of `receivables_list`: the rows of each division's latest snapshot (SnapshotTakenAt), one per key.

{{ exact_current_snapshot('stg_receivables_list', ['open_item_id']) }}
