-- financialtransaction/CashEntryLines (Modified).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_bank_cash_entry_lines_staging('cash_entry_lines', 'cash_entry_line_id') }}
