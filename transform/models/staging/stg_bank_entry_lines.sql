-- financialtransaction/BankEntryLines (Modified).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_bank_cash_entry_lines_staging('bank_entry_lines', 'bank_entry_line_id') }}
