{#
  The shape every recon_* model shares: our number (CTE `ours`) against Exact's own report (CTE
  `exact`), full outer join on the keys, so a row on one side only compares with zero; then the
  differences (ours minus Exact's) and is_match (every amount within half a cent, every count
  equal).

    compared as (
        {{ recon_compared(['division', 'gl_account_id'], ['gl_account_code'],
                          [('net_dc', 'net_dc'), ('line_count', 'lines')]) }}
    )
    select c.*,
        {{ recon_differences([('net_dc', 'net_difference_dc')]) }},
        {{ recon_is_match(['net_dc'], counts=['lines']) }} as is_match
    from compared as c

  recon_compared: keys, then attributes (Exact's when we lack the row), then ours_only columns,
  then warehouse_<name> and exact_<name> of each (column, name) measure, nulls as 0.
#}

{% macro recon_compared(keys, attributes, measures, ours_only=[]) -%}
select
        {%- for k in keys + attributes %}
        coalesce(o.{{ k }}, e.{{ k }}) as {{ k }},
        {%- endfor %}
        {%- for col in ours_only %}
        o.{{ col }},
        {%- endfor %}
        {%- for col, name in measures %}
        coalesce(o.{{ col }}, 0) as warehouse_{{ name }},
        coalesce(e.{{ col }}, 0) as exact_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ours as o
    full outer join exact as e
        on e.{{ keys[0] }} = o.{{ keys[0] }}
        {%- for k in keys[1:] %}
        and e.{{ k }} = o.{{ k }}
        {%- endfor %}
{%- endmacro %}

{#- warehouse_<name> - exact_<name> as <alias>, for each (name, alias). -#}
{% macro recon_differences(differences) -%}
  {%- for name, alias in differences -%}
    c.warehouse_{{ name }} - c.exact_{{ name }} as {{ alias }}{{ ',\n    ' if not loop.last }}
  {%- endfor -%}
{%- endmacro %}

{#- True when every amount is within half a cent of Exact's and every count equals Exact's. -#}
{% macro recon_is_match(amounts, counts=[]) -%}
{{ '(' if amounts | length + counts | length > 1 }}
  {%- for name in amounts -%}
    abs(c.warehouse_{{ name }} - c.exact_{{ name }}) <= 0.005{{ '\n        and ' if not loop.last }}
  {%- endfor -%}
  {%- for name in counts %}
        and c.warehouse_{{ name }} = c.exact_{{ name }}
  {%- endfor -%}
{{ ')' if amounts | length + counts | length > 1 }}
{%- endmacro %}
