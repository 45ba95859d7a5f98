-- read/financial/AgingPayablesList (snapshot): open payables per supplier by age group.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_aging_list_staging('aging_payables_list') }}
