-- financial/FinancialPeriods (Modified): the fiscal calendar.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('financial_periods', 'ID', [
    ('ID', 'guid', 'financial_period_id'),
    ('FinYear', 'int', 'financial_year'),
    ('FinPeriod', 'int', 'financial_period'),
    ('StartDate', 'date', 'start_date'),
    ('EndDate', 'date', 'end_date'),
], has_timestamp=false) }}
