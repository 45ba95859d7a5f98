-- financialtransaction/CashEntries (Modified); key EntryID.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('cash_entries', 'EntryID', [
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('JournalCode', 'str', 'journal_code'),
    ('FinancialYear', 'int', 'financial_year'),
    ('FinancialPeriod', 'int', 'financial_period'),
    ('Currency', 'str', 'currency'),
    ('OpeningBalanceFC', 'amount', 'opening_balance_fc'),
    ('ClosingBalanceFC', 'amount', 'closing_balance_fc'),
    ('Status', 'int', 'status'),
], has_timestamp=false) }}
