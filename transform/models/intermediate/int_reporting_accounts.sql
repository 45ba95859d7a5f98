-- Every GL account the statements report on, per division: the GL accounts (dim_gl_accounts),
-- any account lines post to that the GL account table lacks, and, for a division without a
-- retained-earnings account (GLAccounts.Type 52), a stand-in "Result previous years" row.
-- is_retained_earnings marks the one account the result of closed financial years is carried
-- to (Type 52, the lowest code when there are several). RGS columns: the account's
-- classification in the division's main reporting scheme (financial/GLSchemes, Main = 1,
-- else the first by code) through financial/GLAccountClassificationMappings.
{%- set key = "cast(d.division as " ~ dbt.type_string() ~ ")" %}
with accounts as (
    select
        gl_account_key, division, gl_account_id, gl_account_code, gl_account_description,
        gl_account_type, balance_side, balance_type, classification_path, level_1_code,
        level_1_name, level_2_code, level_2_name, level_3_name
    from {{ ref('dim_gl_accounts') }}
),
unknown as (
    select
        t.gl_account_key, t.division, t.gl_account_id, max(t.gl_account_code) as gl_account_code,
        max(t.gl_account_description) as gl_account_description,
        cast(null as {{ dbt.type_bigint() }}) as gl_account_type,
        cast(null as {{ dbt.type_string() }}) as balance_side,
        cast(null as {{ dbt.type_string() }}) as balance_type,
        cast(null as {{ dbt.type_string() }}) as classification_path,
        cast(null as {{ dbt.type_string() }}) as level_1_code,
        cast(null as {{ dbt.type_string() }}) as level_1_name,
        cast(null as {{ dbt.type_string() }}) as level_2_code,
        cast(null as {{ dbt.type_string() }}) as level_2_name,
        cast(null as {{ dbt.type_string() }}) as level_3_name
    from {{ ref('fct_transaction_lines') }} as t
    where not exists (select 1 from accounts as a where a.gl_account_key = t.gl_account_key)
    group by t.gl_account_key, t.division, t.gl_account_id
),
retained as (
    select division, gl_account_key
    from accounts
    where gl_account_type = 52
    qualify row_number() over (partition by division order by gl_account_code) = 1
),
stand_in as (
    select distinct
        {{ dbt.concat([key, "':retained-earnings'"]) }} as gl_account_key,
        d.division,
        cast('retained-earnings' as {{ dbt.type_string() }}) as gl_account_id,
        cast('(result)' as {{ dbt.type_string() }}) as gl_account_code,
        cast('Result previous years (no retained-earnings account)' as {{ dbt.type_string() }}) as gl_account_description,
        cast(52 as {{ dbt.type_bigint() }}) as gl_account_type,
        cast('C' as {{ dbt.type_string() }}) as balance_side,
        cast('B' as {{ dbt.type_string() }}) as balance_type,
        cast(null as {{ dbt.type_string() }}) as classification_path,
        cast(null as {{ dbt.type_string() }}) as level_1_code,
        cast(null as {{ dbt.type_string() }}) as level_1_name,
        cast(null as {{ dbt.type_string() }}) as level_2_code,
        cast(null as {{ dbt.type_string() }}) as level_2_name,
        cast(null as {{ dbt.type_string() }}) as level_3_name
    from {{ ref('fct_transaction_lines') }} as d
    where not exists (select 1 from retained as r where r.division = d.division)
),
all_accounts as (
    select * from accounts
    union all
    select * from unknown
    union all
    select * from stand_in
),
main_scheme as (
    select division, gl_scheme_id, gl_scheme_code
    from {{ ref('cur_gl_schemes') }}
    where true  -- BigQuery wants a WHERE with QUALIFY
    qualify row_number() over (
        partition by division order by case when is_main = 1 then 0 else 1 end, gl_scheme_code
    ) = 1
),
rgs as (
    select m.division, m.gl_account_id, s.gl_scheme_code, m.gl_classification_id,
           m.gl_classification_code, m.gl_classification_description
    from {{ ref('cur_gl_account_classification_mappings') }} as m
    join main_scheme as s
        on s.division = m.division and s.gl_scheme_id = m.gl_scheme_id
    where true
    qualify row_number() over (
        partition by m.division, m.gl_account_id order by m.gl_classification_code
    ) = 1
)
select
    a.*,
    case a.balance_type when 'B' then 'Balance sheet' when 'W' then 'Profit and loss' end as statement,
    (r.gl_account_key is not null or a.gl_account_id = 'retained-earnings') as is_retained_earnings,
    rgs.gl_scheme_code as rgs_scheme_code,
    rgs.gl_classification_code as rgs_code,
    coalesce(c.gl_classification_name, rgs.gl_classification_description) as rgs_description,
    c.classification_path as rgs_path,
    c.level_1_code as rgs_level_1_code,
    c.level_1_name as rgs_level_1_name,
    c.level_2_code as rgs_level_2_code,
    c.level_2_name as rgs_level_2_name
from all_accounts as a
left join retained as r
    on r.gl_account_key = a.gl_account_key
left join rgs
    on rgs.division = a.division and rgs.gl_account_id = a.gl_account_id
left join {{ ref('dim_gl_classifications') }} as c
    on c.division = rgs.division and c.gl_classification_id = rgs.gl_classification_id
