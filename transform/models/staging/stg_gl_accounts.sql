-- Every loaded version of `gl_accounts` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('gl_accounts', 'ID', [
    ('ID', 'guid', 'gl_account_id'),
    ('Code', 'code', 'gl_account_code'),
    ('Description', 'str', 'gl_account_description'),
    ('Type', 'int', 'gl_account_type'),
    ('TypeDescription', 'str', 'gl_account_type_description'),
    ('BalanceSide', 'str', 'balance_side'),
    ('BalanceType', 'str', 'balance_type'),
    ('ReportingCode', 'code', 'reporting_code'),
    ('SearchCode', 'str', 'search_code'),
    ('IsBlocked', 'bool', 'is_blocked'),
    ('Costcenter', 'str', 'default_cost_center_code'),
    ('Costunit', 'str', 'default_cost_unit_code'),
    ('VATCode', 'str', 'vat_code'),
]) }}
