-- financial/GLAccountClassificationMappings (full table): GL account -> classification per scheme.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('gl_account_classification_mappings', 'ID', [
    ('ID', 'guid', 'mapping_id'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('Classification', 'guid', 'gl_classification_id'),
    ('ClassificationCode', 'code', 'gl_classification_code'),
    ('ClassificationDescription', 'str', 'gl_classification_description'),
    ('GLSchemeID', 'guid', 'gl_scheme_id'),
    ('GLSchemeCode', 'code', 'gl_scheme_code'),
    ('GLSchemeDescription', 'str', 'gl_scheme_description'),
], has_timestamp=false, has_modified=false) }}
