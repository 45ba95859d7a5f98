-- Current state of `journals`: latest version per (division, journal_id).

{{ exact_current('stg_journals', 'journal_id') }}
