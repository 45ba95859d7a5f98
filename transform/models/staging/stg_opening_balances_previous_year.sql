-- openingbalance/PreviousYear/AfterEntry (snapshot): the same for the previous financial year.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging_twins.sql).
{{ exact_opening_balances_staging('opening_balances_previous_year') }}
