-- financialtransaction/BankEntries (Modified); key EntryID.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_bank_cash_entries_staging('bank_entries') }}
