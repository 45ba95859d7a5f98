-- generaljournalentry/GeneralJournalEntries (Modified); key EntryID.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('general_journal_entries', 'EntryID', [
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('JournalCode', 'str', 'journal_code'),
    ('FinancialYear', 'int', 'financial_year'),
    ('FinancialPeriod', 'int', 'financial_period'),
    ('Currency', 'str', 'currency'),
    ('Status', 'int', 'status'),
    ('Type', 'int', 'entry_type'),
    ('Reversal', 'bool', 'is_reversal'),
], has_timestamp=false) }}
