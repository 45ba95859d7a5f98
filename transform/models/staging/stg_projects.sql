-- Every loaded version of `projects` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('projects', 'ID', [
    ('ID', 'guid', 'project_id'),
    ('Code', 'code', 'project_code'),
    ('Description', 'str', 'project_description'),
    ('Account', 'guid', 'account_id'),
    ('AccountName', 'str', 'account_name'),
    ('Manager', 'guid', 'manager_id'),
    ('ManagerFullname', 'str', 'manager_name'),
    ('Type', 'int', 'project_type'),
    ('TypeDescription', 'str', 'project_type_description'),
    ('ClassificationDescription', 'str', 'classification_description'),
    ('StartDate', 'date', 'start_date'),
    ('EndDate', 'date', 'end_date'),
    ('BudgetedAmount', 'amount', 'budgeted_amount'),
    ('BudgetedCosts', 'amount', 'budgeted_costs'),
    ('BudgetedRevenue', 'amount', 'budgeted_revenue'),
    ('BlockEntry', 'bool', 'is_entry_blocked'),
]) }}
