-- openingbalance/CurrentYear/AfterEntry (snapshot): balance-sheet opening balances of the current financial year.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_opening_balances_staging('opening_balances_current_year') }}
