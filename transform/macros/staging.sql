{#
  Staging over a loaded stream table that may lack columns, or be missing altogether: a stream
  that is not selected (employees is opt-in) or a property deselected in the catalog leaves no
  table / no column behind, and the project must still build.

    {% set src = source('exactonline', 'budgets') %}
    {% set cols = exact_columns(src) %}
    select {{ exact_amount(exact_field(cols, 'AmountDC')) }} as amount_dc
    from {{ exact_from(src, cols) }}

  exact_columns: the loaded table's column names, lower case ([] when it does not exist).
  exact_field:   the column (exact_col quoting) when loaded, else a typed-by-the-caller null.
  exact_from:    the table, or an empty one-column relation when it does not exist.
#}

{% macro exact_columns(relation) -%}
  {%- set names = [] -%}
  {%- if execute -%}
    {#- look the table up first: describing a missing one is an error on some warehouses -#}
    {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                         identifier=relation.identifier) -%}
    {%- if found is not none -%}
      {%- for col in adapter.get_columns_in_relation(found) -%}
        {%- do names.append(col.name | lower) -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endif -%}
  {{ return(names) }}
{%- endmacro %}

{% macro exact_field(cols, name) -%}
  {%- if not execute or (name | lower) in cols -%}
    {{ exact_col(name) }}
  {%- else -%}
    null
  {%- endif -%}
{%- endmacro %}

{% macro exact_from(relation, cols) -%}
  {%- if not execute or cols -%}
    {{ relation }}
  {%- else -%}
    (select 1 as no_rows_loaded) as missing_stream where 1 = 0
  {%- endif -%}
{%- endmacro %}

{#
  One staging model, declared: every loaded version of a stream's rows, typed and renamed,
  with the audit columns first.

    {{ exact_staging('budgets', 'ID', [
        ('ID', 'guid', 'budget_id'),
        ('AmountDC', 'amount', 'amount_dc'),
    ], has_timestamp=false) }}

  Kinds: guid (lower-case text), str, code (trimmed text: Exact right-aligns account codes),
  int, amount (exact decimal), number (a rate or quantity: decimal too), date (calendar date),
  ts (timestamp, UTC), bool. A field the loaded table lacks comes out as a typed null.
#}
{% macro exact_staging(stream, key, columns, has_timestamp=true, has_modified=true) -%}
{%- set src = source('exactonline', stream) -%}
{%- set cols = exact_columns(src) -%}
select
    {{ audit_columns(src, key, has_timestamp=has_timestamp, has_modified=has_modified) }}
    {%- for field, kind, alias in columns %},
    {{ exact_typed(exact_field(cols, field), kind) }} as {{ alias }}
    {%- endfor %}
from {{ exact_from(src, cols) }}
{%- endmacro %}

{% macro exact_typed(expr, kind) -%}
  {%- if kind == 'guid' -%}{{ exact_guid(expr) }}
  {%- elif kind == 'str' -%}{{ exact_str(expr) }}
  {%- elif kind == 'code' -%}trim({{ exact_str(expr) }})
  {%- elif kind == 'int' -%}{{ exact_int(expr) }}
  {%- elif kind in ('amount', 'number') -%}{{ exact_amount(expr) }}
  {%- elif kind == 'date' -%}{{ exact_date(expr) }}
  {%- elif kind == 'ts' -%}{{ exact_timestamp(expr) }}
  {%- elif kind == 'bool' -%}{{ exact_bool(expr) }}
  {%- else -%}{{ exceptions.raise_compiler_error("exact_typed: unknown kind " ~ kind) }}
  {%- endif -%}
{%- endmacro %}
