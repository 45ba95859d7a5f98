-- Current state of `currencies`: latest version per (division, currency_code).

{{ exact_current('stg_currencies', 'currency_code') }}
