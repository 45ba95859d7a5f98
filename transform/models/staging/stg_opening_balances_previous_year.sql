-- openingbalance/PreviousYear/AfterEntry (snapshot): the same for the previous financial year.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('opening_balances_previous_year', ['ReportingYear', 'GLAccount'], [
    ('ReportingYear', 'int', 'reporting_year'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('BalanceSide', 'str', 'balance_side'),
    ('Amount', 'amount', 'opening_balance_dc'),
    ('SnapshotTakenAt', 'ts', 'snapshot_taken_at'),
], has_timestamp=false, has_modified=false) }}
