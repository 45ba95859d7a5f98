-- read/financial/ReceivablesList (snapshot): Exact's open receivables, Amount positive when the customer owes.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_open_items_list_staging('receivables_list') }}
