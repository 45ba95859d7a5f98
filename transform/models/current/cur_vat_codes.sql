-- Current state of `vat_codes`: latest version per (division, vat_code_id).

{{ exact_current('stg_vat_codes', 'vat_code_id') }}
