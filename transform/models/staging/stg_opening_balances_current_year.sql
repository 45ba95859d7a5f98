-- openingbalance/CurrentYear/AfterEntry (snapshot): balance-sheet opening balances of the current financial year.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('opening_balances_current_year', ['ReportingYear', 'GLAccount'], [
    ('ReportingYear', 'int', 'reporting_year'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('BalanceSide', 'str', 'balance_side'),
    ('Amount', 'amount', 'opening_balance_dc'),
    ('SnapshotTakenAt', 'ts', 'snapshot_taken_at'),
], has_timestamp=false, has_modified=false) }}
