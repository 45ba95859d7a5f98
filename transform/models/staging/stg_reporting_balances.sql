-- financial/ReportingBalance (snapshot): Exact's totals per year, period, GL account, cost center, cost unit, entry type and status.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('reporting_balances', 'ID', [
    ('ID', 'int', 'reporting_balance_id'),
    ('ReportingYear', 'int', 'reporting_year'),
    ('ReportingPeriod', 'int', 'reporting_period'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('BalanceType', 'str', 'balance_type'),
    ('CostCenterCode', 'str', 'cost_center_code'),
    ('CostUnitCode', 'str', 'cost_unit_code'),
    ('Type', 'int', 'entry_type'),
    ('Status', 'int', 'status'),
    ('Amount', 'amount', 'amount_dc'),
    ('AmountDebit', 'amount', 'debit_dc'),
    ('AmountCredit', 'amount', 'credit_dc'),
    ('Count', 'int', 'line_count'),
    ('SnapshotTakenAt', 'ts', 'snapshot_taken_at'),
], has_timestamp=false, has_modified=false) }}
