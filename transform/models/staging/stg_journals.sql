-- financial/Journals (full table).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('journals', 'ID', [
    ('ID', 'guid', 'journal_id'),
    ('Code', 'code', 'journal_code'),
    ('Description', 'str', 'journal_description'),
    ('Type', 'int', 'journal_type'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('Currency', 'str', 'currency'),
    ('BankAccountIBAN', 'str', 'bank_account_iban'),
    ('IsBlocked', 'bool', 'is_blocked'),
], has_timestamp=false) }}
