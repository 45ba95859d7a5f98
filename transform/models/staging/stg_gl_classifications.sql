-- Every loaded version of `gl_classifications` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('gl_classifications', 'ID', [
    ('ID', 'guid', 'gl_classification_id'),
    ('Code', 'code', 'gl_classification_code'),
    ('Name', 'str', 'gl_classification_name'),
    ('Description', 'str', 'gl_classification_description'),
    ('Parent', 'guid', 'parent_gl_classification_id'),
    ('Abstract', 'bool', 'is_abstract'),
    ('Balance', 'str', 'balance_side'),
    ('PeriodType', 'str', 'period_type'),
    ('Type', 'guid', 'classification_type_id'),
    ('TaxonomyNamespace', 'guid', 'taxonomy_namespace_id'),
    ('TaxonomyNamespaceDescription', 'str', 'taxonomy_namespace_description'),
]) }}
