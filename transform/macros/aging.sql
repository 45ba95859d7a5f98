{#- The as-of date of the aging reports: var aging_as_of (YYYY-MM-DD) or today. -#}
{% macro aging_as_of() -%}
  {%- if var('aging_as_of', '') -%}
    cast('{{ var("aging_as_of") }}' as date)
  {%- else -%}
    cast({{ dbt.current_timestamp() }} as date)
  {%- endif -%}
{%- endmacro %}

{#-
  One row per open item (status 20 open or 30 selected, Exact's cash-flow statuses) with its
  days past due and bucket, then summed per division and account by the report model.
-#}
{% macro aging_report(model, key, open_condition) -%}
{%- set b = var('aging_buckets', [30, 60, 90]) %}
with open_items as (
    select
        division,
        account_id,
        account_code,
        account_name,
        amount_dc,
        due_date,
        {{ dbt.datediff('due_date', aging_as_of(), 'day') }} as days_past_due
    from {{ ref(model) }}
    where coalesce(status, 20) in (20, 30)
      and {{ open_condition }}
)
select
    {{ dbt.concat(["cast(division as " ~ dbt.type_string() ~ ")", "':'", "coalesce(account_id, '-')"]) }} as aging_key,
    division,
    account_id,
    max(account_code) as account_code,
    max(account_name) as account_name,
    {{ aging_as_of() }} as as_of_date,
    count(*) as open_items,
    sum(amount_dc) as open_amount_dc,
    sum(case when days_past_due <= 0 or due_date is null then amount_dc else 0 end) as not_due_dc,
    sum(case when days_past_due between 1 and {{ b[0] }} then amount_dc else 0 end) as days_1_{{ b[0] }}_dc,
    {%- for i in range(1, b | length) %}
    sum(case when days_past_due between {{ b[i - 1] + 1 }} and {{ b[i] }} then amount_dc else 0 end) as days_{{ b[i - 1] + 1 }}_{{ b[i] }}_dc,
    {%- endfor %}
    sum(case when days_past_due > {{ b[-1] }} then amount_dc else 0 end) as over_{{ b[-1] }}_dc,
    max(days_past_due) as max_days_past_due
from open_items
group by division, account_id
{%- endmacro %}
