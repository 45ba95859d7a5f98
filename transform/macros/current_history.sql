{#
  Current state and history over a staging model (every loaded version of a row).

  A version is identified by (division, key, exact_timestamp, exact_modified). The latest is
  the highest Timestamp (sync family), else the latest Modified, else the latest extraction.
  A row is not current when its latest version is a tombstone (`sdc_deleted_at` set: the tap
  sends a deletion as a record with the deletion's Timestamp; a soft-delete or append-only
  load keeps it), or when the `deleted` stream holds a deletion of its key newer than that
  version (loads without tombstones). A row deleted and created again is current: its new
  version's Timestamp is higher than the deletion's.
#}

{% macro version_order(alias='') -%}
  {{ alias }}exact_timestamp desc nulls last, {{ alias }}exact_modified desc nulls last, {{ alias }}extracted_at desc nulls last
{%- endmacro %}

{#-
  The first row per partition, in two parts around a query's FROM/WHERE:

    select {{ first_per_select(parts) }} s.* from ... where ... {{ first_per_filter(parts, order) }}

  DuckDB, BigQuery and Snowflake: QUALIFY row_number() ... = 1. PostgreSQL has no QUALIFY:
  SELECT DISTINCT ON (parts) ... ORDER BY parts, order (the same row, no extra column).
-#}
{% macro first_per_select(parts) -%}
  {{ return(adapter.dispatch('first_per_select', 'exactonline')(parts)) }}
{%- endmacro %}

{% macro default__first_per_select(parts) -%}{%- endmacro %}

{% macro postgres__first_per_select(parts) -%}
  distinct on ({{ parts | join(', ') }})
{%- endmacro %}

{% macro first_per_filter(parts, order) -%}
  {{ return(adapter.dispatch('first_per_filter', 'exactonline')(parts, order)) }}
{%- endmacro %}

{% macro default__first_per_filter(parts, order) -%}
  qualify row_number() over (partition by {{ parts | join(', ') }} order by {{ order }}) = 1
{%- endmacro %}

{% macro postgres__first_per_filter(parts, order) -%}
  order by {{ parts | join(', ') }}, {{ order }}
{%- endmacro %}

{% macro not_deleted(key, stream) -%}
  not exists (
    select 1 from {{ ref('stg_deleted') }} as d
    where d.division = s.division
      and d.entity_key = s.{{ key }}
      and d.stream_name = '{{ stream }}'
      and (d.exact_timestamp is null or s.exact_timestamp is null
           or d.exact_timestamp > s.exact_timestamp)
  )
{%- endmacro %}

{#- Latest version per (division, key), deleted rows (tombstones, `deleted`) removed. -#}
{% macro exact_current(staging, key, stream=none) -%}
{%- set parts = ['s.division', 's.' ~ key] %}
select latest.*
from (
    select {{ first_per_select(parts) }} s.*
    from {{ ref(staging) }} as s
    where {% if stream %}{{ not_deleted(key, stream) }}{% else %}true{% endif %}
    {{ first_per_filter(parts, version_order('s.')) }}
) as latest
where latest.sdc_deleted_at is null
{%- endmacro %}

{#-
  Every distinct version with valid_from / valid_to (UTC). valid_from is the version's Modified
  (its extraction time when Exact gives no Modified); valid_to is the next version's valid_from,
  or the deletion time for the last version of a deleted row, else null (still current).
  Loading the same version twice (append-only loads re-read rows) keeps the first extraction.
-#}
{% macro exact_history(staging, key, stream=none) -%}
{%- set parts = ['s.division', 's.' ~ key, 's.exact_timestamp', 's.exact_modified'] %}
with versions as (
    select {{ first_per_select(parts) }} s.*
    from {{ ref(staging) }} as s
    where s.sdc_deleted_at is null  -- tombstones end a version; they are not one
    {{ first_per_filter(parts, 's.extracted_at asc nulls last') }}
),
{%- if stream %}
deletions as (
    select division, entity_key, min(deleted_at) as deleted_at
    from (
        select division, entity_key, deleted_at
        from {{ ref('stg_deleted') }}
        where stream_name = '{{ stream }}'
        union all
        select division, {{ key }} as entity_key, sdc_deleted_at as deleted_at
        from {{ ref(staging) }}
        where sdc_deleted_at is not null
    ) as d
    group by division, entity_key
),
{%- endif %}
ordered as (
    select
        v.*,
        coalesce(v.exact_modified, v.extracted_at) as valid_from,
        lead(coalesce(v.exact_modified, v.extracted_at)) over (
            partition by v.division, v.{{ key }}
            order by v.exact_timestamp asc nulls first, v.exact_modified asc nulls first, v.extracted_at asc nulls first
        ) as next_valid_from,
        row_number() over (
            partition by v.division, v.{{ key }} order by {{ version_order() }}
        ) as version_rank
    from versions as v
)
select
    o.*,
    case
        when o.version_rank > 1 then o.next_valid_from
        {%- if stream %}
        else dl.deleted_at
        {%- endif %}
    end as valid_to,
    {%- if stream %}
    (o.version_rank = 1 and dl.entity_key is null) as is_current,
    (dl.entity_key is not null) as is_deleted
    {%- else %}
    (o.version_rank = 1) as is_current,
    false as is_deleted
    {%- endif %}
from ordered as o
{%- if stream %}
left join deletions as dl
    on dl.division = o.division and dl.entity_key = o.{{ key }}
{%- endif %}
{%- endmacro %}

{#-
  Current state of a snapshot stream (Exact's reports, read in full every run): the rows of
  each division's latest snapshot (SnapshotTakenAt), one per key. Rows a report no longer has
  drop out, also when the target keeps them (targets that ignore ACTIVATE_VERSION, loads
  without full_table_tombstones); the tombstones of that snapshot (a soft-delete load keeps
  them, stamped with the snapshot's SnapshotTakenAt) are not rows.
-#}
{% macro exact_current_snapshot(staging, keys) -%}
{%- set keys = [keys] if keys is string else keys -%}
{%- set parts = ['s.division'] %}{% for k in keys %}{% do parts.append('s.' ~ k) %}{% endfor %}
select {{ first_per_select(parts) }} s.*
from {{ ref(staging) }} as s
where s.sdc_deleted_at is null
  and s.snapshot_taken_at = (
    select max(l.snapshot_taken_at) from {{ ref(staging) }} as l where l.division = s.division
)
{{ first_per_filter(parts, version_order('s.')) }}
{%- endmacro %}
