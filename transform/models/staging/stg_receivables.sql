-- Every loaded version of `receivables` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_cashflow_staging('receivables', 'receivable_id', with_settlement=true) }}
