-- GL classification hierarchy (Exact's reporting taxonomy) flattened: one row per
-- classification with its depth, the path from the root and one column per level
-- (level_1 = root ... level_N, N = var gl_classification_levels). Portable fixed-depth joins
-- (no recursive CTE), so it runs the same on DuckDB, BigQuery and Snowflake.
{%- set levels = var('gl_classification_levels', 6) %}
with c as (
    select * from {{ ref('cur_gl_classifications') }}
),
chain as (
    select
        c0.division,
        c0.gl_classification_id,
        {%- for i in range(levels) %}
        c{{ i }}.gl_classification_id as anc_{{ i }}_id,
        c{{ i }}.gl_classification_code as anc_{{ i }}_code,
        c{{ i }}.gl_classification_name as anc_{{ i }}_name{{ "," if not loop.last }}
        {%- endfor %}
    from c as c0
    {%- for i in range(1, levels) %}
    left join c as c{{ i }}
        on c{{ i }}.division = c{{ i - 1 }}.division
        and c{{ i }}.gl_classification_id = c{{ i - 1 }}.parent_gl_classification_id
    {%- endfor %}
),
depth as (
    select
        chain.*,
        {%- for i in range(levels) %}
        case when anc_{{ i }}_id is not null then 1 else 0 end{{ " +" if not loop.last }}
        {%- endfor %} as classification_level
    from chain
)
select
    {{ dbt.concat(["cast(c.division as " ~ dbt.type_string() ~ ")", "':'", "c.gl_classification_id"]) }} as gl_classification_key,
    c.division,
    c.gl_classification_id,
    c.gl_classification_code,
    c.gl_classification_name,
    c.gl_classification_description,
    c.parent_gl_classification_id,
    c.is_abstract,
    c.balance_side,
    c.taxonomy_namespace_id,
    c.taxonomy_namespace_description,
    d.classification_level,
    {#- path from the root: at depth n the root is chain position n - 1 -#}
    case d.classification_level
    {%- for depth_n in range(1, levels + 1) %}
        {%- set parts = [] %}
        {%- for pos in range(depth_n - 1, -1, -1) %}
            {%- do parts.append("coalesce(d.anc_" ~ pos ~ "_name, d.anc_" ~ pos ~ "_code, '?')") %}
            {%- if pos > 0 %}{% do parts.append("' > '") %}{% endif %}
        {%- endfor %}
        when {{ depth_n }} then {{ dbt.concat(parts) }}
    {%- endfor %}
    end as classification_path,
    {%- for lvl in range(1, levels + 1) %}
    case
    {%- for depth_n in range(lvl, levels + 1) %}
        when d.classification_level = {{ depth_n }} then d.anc_{{ depth_n - lvl }}_name
    {%- endfor %}
    end as level_{{ lvl }}_name,
    case
    {%- for depth_n in range(lvl, levels + 1) %}
        when d.classification_level = {{ depth_n }} then d.anc_{{ depth_n - lvl }}_code
    {%- endfor %}
    end as level_{{ lvl }}_code,
    {%- endfor %}
    c.source_system,
    c.record_key,
    c.extracted_at,
    c.exact_timestamp,
    c.exact_modified
from c
join depth as d
    on d.division = c.division and d.gl_classification_id = c.gl_classification_id
