-- read/financial/AgingReceivablesList (snapshot): open receivables per customer by age group.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_aging_list_staging('aging_receivables_list') }}
