-- financial/ExchangeRates (Modified): 1 SourceCurrency = Rate TargetCurrency from StartDate.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('exchange_rates', 'ID', [
    ('ID', 'guid', 'exchange_rate_id'),
    ('SourceCurrency', 'code', 'source_currency'),
    ('TargetCurrency', 'code', 'target_currency'),
    ('Rate', 'number', 'rate'),
    ('StartDate', 'date', 'start_date'),
], has_timestamp=false) }}
