-- Purchase entry lines (purchaseentry/PurchaseEntryLines) with their entry's supplier, dates
-- and reporting period.
{%- set key = "cast(l.division as " ~ dbt.type_string() ~ ")" %}
select
    l.record_key as purchase_entry_line_key,
    l.division,
    l.purchase_entry_line_id,
    l.entry_id,
    {{ dbt.concat([key, "':'", "l.entry_id"]) }} as entry_key,
    e.entry_number,
    l.line_number,
    e.entry_date,
    e.due_date,
    e.reporting_year,
    e.reporting_period,
    e.invoice_number,
    e.journal_code,
    case when e.supplier_account_id is not null
        then {{ dbt.concat([key, "':'", "e.supplier_account_id"]) }}
    end as supplier_key,
    e.supplier_account_id as supplier_id,
    coalesce(s.account_name, e.supplier_name) as supplier_name,
    case when l.gl_account_id is not null then {{ dbt.concat([key, "':'", "l.gl_account_id"]) }} end as gl_account_key,
    l.gl_account_id,
    g.gl_account_code,
    g.gl_account_description,
    case when l.cost_center_code is not null then {{ dbt.concat([key, "':'", "l.cost_center_code"]) }} end as cost_center_key,
    l.cost_center_code,
    case when l.cost_unit_code is not null then {{ dbt.concat([key, "':'", "l.cost_unit_code"]) }} end as cost_unit_key,
    l.cost_unit_code,
    case when l.project_id is not null then {{ dbt.concat([key, "':'", "l.project_id"]) }} end as project_key,
    l.project_id,
    l.description,
    l.quantity,
    l.vat_code,
    l.amount_dc,
    l.vat_amount_dc,
    l.amount_fc,
    l.source_system,
    l.extracted_at
from {{ ref('cur_purchase_entry_lines') }} as l
left join {{ ref('cur_purchase_entries') }} as e
    on e.division = l.division and e.entry_id = l.entry_id
left join {{ ref('dim_accounts') }} as s
    on s.division = l.division and s.account_id = e.supplier_account_id
left join {{ ref('dim_gl_accounts') }} as g
    on g.division = l.division and g.gl_account_id = l.gl_account_id
