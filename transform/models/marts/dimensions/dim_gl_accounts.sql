-- GL accounts with their GL classification flattened (path, level and level_N columns from
-- dim_gl_classifications). Exact links an account to its classification through its
-- reporting code (GLAccounts.ReportingCode = GLClassifications.Code of the leaf
-- classification of the division's own hierarchy, not of a reporting scheme such as RGS);
-- accounts without one get null classification columns. The RGS classification of an
-- account comes from financial/GLAccountClassificationMappings (int_reporting_accounts).
{%- set levels = var('gl_classification_levels', 6) %}
select
    a.record_key as gl_account_key,
    a.division,
    a.gl_account_id,
    a.gl_account_code,
    a.gl_account_description,
    {{ dbt.concat(["a.gl_account_code", "' '", "coalesce(a.gl_account_description, '')"]) }} as gl_account_name,
    a.gl_account_type,
    a.gl_account_type_description,
    a.balance_side,
    a.balance_type,
    case a.balance_type when 'B' then 'Balance sheet' when 'W' then 'Profit and loss' end as statement,
    a.reporting_code,
    a.is_blocked,
    c.gl_classification_key,
    c.gl_classification_code,
    c.gl_classification_name,
    c.classification_level,
    c.classification_path,
    {%- for lvl in range(1, levels + 1) %}
    c.level_{{ lvl }}_code,
    c.level_{{ lvl }}_name,
    {%- endfor %}
    a.source_system,
    a.extracted_at,
    a.exact_timestamp,
    a.exact_modified
from {{ ref('cur_gl_accounts') }} as a
left join {{ ref('dim_gl_classifications') }} as c
    on c.division = a.division
    and c.gl_classification_code = a.reporting_code
    and c.taxonomy_namespace_id is null  -- the division's own hierarchy, not a scheme's (RGS)
