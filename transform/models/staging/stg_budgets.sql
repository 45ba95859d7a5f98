-- budget/Budgets (Modified): amounts in the sign of the postings (costs positive, revenue negative).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('budgets', 'ID', [
    ('ID', 'guid', 'budget_id'),
    ('BudgetScenario', 'guid', 'budget_scenario_id'),
    ('BudgetScenarioCode', 'str', 'budget_scenario_code'),
    ('BudgetScenarioDescription', 'str', 'budget_scenario_description'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('Costcenter', 'str', 'cost_center_code'),
    ('Costunit', 'str', 'cost_unit_code'),
    ('Item', 'guid', 'item_id'),
    ('ReportingYear', 'int', 'reporting_year'),
    ('ReportingPeriod', 'int', 'reporting_period'),
    ('AmountDC', 'amount', 'budget_amount_dc'),
], has_timestamp=false) }}
