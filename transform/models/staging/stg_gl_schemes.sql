-- financial/GLSchemes (Modified): reporting schemes (RGS).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('gl_schemes', 'ID', [
    ('ID', 'guid', 'gl_scheme_id'),
    ('Code', 'code', 'gl_scheme_code'),
    ('Description', 'str', 'gl_scheme_description'),
    ('Main', 'int', 'is_main'),
    ('TargetNamespace', 'str', 'target_namespace'),
], has_timestamp=false) }}
