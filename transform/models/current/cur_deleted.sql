-- Current state of `deleted`: latest version per (division, deleted_row_id).

{{ exact_current('stg_deleted', 'deleted_row_id') }}
