-- Sales invoice lines (current state, LineNumber > 0) with their header's customer, dates and
-- status. Amounts in the division's currency (DC) exclude VAT; vat_amount_dc is the line's VAT.
{%- set key = "cast(l.division as " ~ dbt.type_string() ~ ")" %}
select
    l.record_key as sales_invoice_line_key,
    l.division,
    l.sales_invoice_row_id as sales_invoice_line_id,
    l.invoice_id,
    {{ dbt.concat([key, "':'", "l.invoice_id"]) }} as invoice_key,
    coalesce(h.invoice_number, l.invoice_number) as invoice_number,
    l.line_number,
    coalesce(h.invoice_date, l.invoice_date) as invoice_date,
    coalesce(h.due_date, l.due_date) as due_date,
    coalesce(h.status, l.status) as status,
    coalesce(h.invoice_to_account_id, l.invoice_to_account_id) as customer_id,
    case when coalesce(h.invoice_to_account_id, l.invoice_to_account_id) is not null
        then {{ dbt.concat([key, "':'", "coalesce(h.invoice_to_account_id, l.invoice_to_account_id)"]) }}
    end as customer_key,
    c.account_name as customer_name,
    case when l.item_id is not null then {{ dbt.concat([key, "':'", "l.item_id"]) }} end as item_key,
    l.item_id,
    coalesce(i.item_code, l.item_code) as item_code,
    coalesce(i.item_description, l.item_description) as item_description,
    case when l.gl_account_id is not null then {{ dbt.concat([key, "':'", "l.gl_account_id"]) }} end as gl_account_key,
    l.gl_account_id,
    case when l.cost_center_code is not null then {{ dbt.concat([key, "':'", "l.cost_center_code"]) }} end as cost_center_key,
    l.cost_center_code,
    case when l.cost_unit_code is not null then {{ dbt.concat([key, "':'", "l.cost_unit_code"]) }} end as cost_unit_key,
    l.cost_unit_code,
    case when l.project_id is not null then {{ dbt.concat([key, "':'", "l.project_id"]) }} end as project_key,
    l.project_id,
    l.description,
    l.quantity,
    l.unit_price,
    l.vat_code,
    l.currency,
    l.amount_dc,
    l.vat_amount_dc,
    l.amount_fc,
    l.source_system,
    l.extracted_at,
    l.exact_timestamp,
    l.exact_modified
from {{ ref('cur_sales_invoice_lines') }} as l
left join {{ ref('cur_sales_invoice_headers') }} as h
    on h.division = l.division and h.invoice_id = l.invoice_id
left join {{ ref('dim_accounts') }} as c
    on c.division = l.division
    and c.account_id = coalesce(h.invoice_to_account_id, l.invoice_to_account_id)
left join {{ ref('dim_items') }} as i
    on i.division = l.division and i.item_id = l.item_id
