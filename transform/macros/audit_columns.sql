{#
  The audit columns every staging row carries (docs/warehouses.md "Audit columns"):

    division        Exact division code
    source_system   'exact_online' (stream map column _source when loaded with it)
    record_key      '<division>:<key>' (stream map column _record_key when present)
    extracted_at    when the tap read the row: stream map column _extracted_at, else the
                    target's _sdc_extracted_at (add_metadata_columns / add_record_metadata)
    exact_timestamp Exact's sync Timestamp (rowversion; null outside the sync family)
    exact_modified  Exact's Modified (UTC)

  At execution time the macro looks at the loaded table's columns, so the project works with
  and without the stream-map and target metadata columns (and without the table: see
  macros/staging.sql).
#}
{% macro audit_columns(relation, key, has_timestamp=true, has_modified=true) -%}
  {#- key: Exact's key field name, or a list of names for a composite key. -#}
  {%- set names = exact_columns(relation) -%}
  {%- set keys = [key] if key is string else key -%}
  {%- set key_parts = [] -%}
  {%- for k in keys -%}
    {%- do key_parts.append(exact_str(exact_field(names, k))) -%}
    {%- if not loop.last %}{% do key_parts.append("':'") %}{% endif -%}
  {%- endfor -%}
  {{ exact_int(exact_field(names, 'Division')) }} as division,
  {% if '_source' in names -%}
  coalesce({{ exact_str('_source') }}, 'exact_online') as source_system,
  {%- else -%}
  cast('exact_online' as {{ dbt.type_string() }}) as source_system,
  {%- endif %}
  {% if '_record_key' in names -%}
  {{ exact_str('_record_key') }} as record_key,
  {%- else -%}
  {{ dbt.concat([exact_str(exact_field(names, 'Division')), "':'"] + key_parts) }} as record_key,
  {%- endif %}
  {% if '_extracted_at' in names and '_sdc_extracted_at' in names -%}
  coalesce({{ exact_timestamp('_extracted_at') }}, {{ exact_timestamp('_sdc_extracted_at') }}) as extracted_at,
  {%- elif '_extracted_at' in names -%}
  {{ exact_timestamp('_extracted_at') }} as extracted_at,
  {%- elif '_sdc_extracted_at' in names -%}
  {{ exact_timestamp('_sdc_extracted_at') }} as extracted_at,
  {%- else -%}
  cast(null as {{ dbt.type_timestamp() }}) as extracted_at,
  {%- endif %}
  {% if has_timestamp -%}
  {{ exact_int(exact_field(names, 'Timestamp')) }} as exact_timestamp,
  {%- else -%}
  cast(null as {{ dbt.type_bigint() }}) as exact_timestamp,
  {%- endif %}
  {% if has_modified -%}
  {{ exact_timestamp(exact_field(names, 'Modified')) }} as exact_modified,
  {%- else -%}
  cast(null as {{ dbt.type_timestamp() }}) as exact_modified,
  {%- endif %}
  {#- Set on tombstone records (a deletion sent by the tap; kept by a soft-delete load). #}
  {% if '_sdc_deleted_at' in names -%}
  {{ exact_timestamp('_sdc_deleted_at') }} as sdc_deleted_at
  {%- else -%}
  cast(null as {{ dbt.type_timestamp() }}) as sdc_deleted_at
  {%- endif %}
{%- endmacro %}
