-- salesentry/SalesEntries (Modified); key EntryID.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_entries_staging('sales_entries', 'Customer') }}
