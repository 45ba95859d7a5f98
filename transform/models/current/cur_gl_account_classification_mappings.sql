-- Current state of `gl_account_classification_mappings`: latest version per (division, mapping_id).

{{ exact_current('stg_gl_account_classification_mappings', 'mapping_id') }}
