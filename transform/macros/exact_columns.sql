{#
  Column helpers for the tables a Singer target writes from tap-exactonline.

  Column names are Exact's own (AmountDC, GLAccount, ...). Targets fold them differently:
  target-duckdb lowercases them (amountdc), BigQuery keeps them (case-insensitive either way),
  singer-sdk SQL targets (target-snowflake) lowercase them and create them unquoted, so
  Snowflake stores them upper case. Unquoted references therefore work everywhere; exact_col()
  quotes the names that are reserved words in some dialect (Date, Timestamp, From, To, ...).
#}

{% macro exact_col(name) -%}
  {{ return(adapter.dispatch('exact_col', 'exactonline')(name)) }}
{%- endmacro %}

{% macro default__exact_col(name) -%}
  {{ adapter.quote(name | lower) }}
{%- endmacro %}

{% macro postgres__exact_col(name) -%}
  {#- target-postgres creates quoted columns in Exact's own case ("Division", "ID"). -#}
  {{ adapter.quote(name) }}
{%- endmacro %}

{% macro snowflake__exact_col(name) -%}
  {#- target-snowflake creates columns unquoted, so Snowflake stores them upper case
      (verified on fakesnow: DATE, TIMESTAMP); quoted upper case matches them. -#}
  "{{ name | upper }}"
{%- endmacro %}


{#- An amount: exact decimal, never float (sums of Double would drift). -#}
{% macro exact_amount(expr) -%}
  {{ return(adapter.dispatch('exact_amount', 'exactonline')(expr)) }}
{%- endmacro %}

{% macro default__exact_amount(expr) -%}
  cast(round({{ expr }}, 6) as decimal(38, 6))
{%- endmacro %}

{% macro postgres__exact_amount(expr) -%}
  {#- round(double precision, int) does not exist in PostgreSQL: numeric first. -#}
  cast(round(cast({{ expr }} as numeric), 6) as numeric(38, 6))
{%- endmacro %}

{% macro bigquery__exact_amount(expr) -%}
  cast(round(cast({{ expr }} as float64), 6) as numeric)
{%- endmacro %}


{#- A calendar date (InvoiceDate, DueDate, Date, ...): the tap writes midnight UTC. -#}
{% macro exact_date(expr) -%}
  cast({{ expr }} as date)
{%- endmacro %}

{% macro exact_timestamp(expr) -%}
  cast({{ expr }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro exact_int(expr) -%}
  cast({{ expr }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro exact_bool(expr) -%}
  cast({{ expr }} as {{ dbt.type_boolean() }})
{%- endmacro %}

{% macro exact_guid(expr) -%}
  lower(cast({{ expr }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro exact_str(expr) -%}
  cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro %}
