-- read/financial/PayablesList (snapshot): Exact's open payables, Amount positive when the supplier is owed (sign: sandbox convention).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_open_items_list_staging('payables_list', [('ApprovalStatus', 'int', 'approval_status')]) }}
