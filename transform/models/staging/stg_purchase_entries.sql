-- Every loaded version of `purchase_entries` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_entries_staging('purchase_entries', 'Supplier', [('PaymentCondition', 'str', 'payment_condition')]) }}
