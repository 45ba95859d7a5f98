{#- The as-of date of the open items and aging reports: var aging_as_of (YYYY-MM-DD) or today. -#}
{% macro aging_as_of() -%}
  {%- if var('aging_as_of', '') -%}
    cast('{{ var("aging_as_of") }}' as date)
  {%- else -%}
    cast({{ dbt.current_timestamp() }} as date)
  {%- endif -%}
{%- endmacro %}

{#-
  Open items from the general ledger: the lines on receivables (GLAccounts.Type 20) and
  payables (22) accounts, per division, account and invoice number (the invoice's own lines
  and the payments matched to it carry its InvoiceNumber, as Exact's do), that do not net to
  zero. With as_of (an SQL date), only lines dated on or before it count: the items that were
  open on that day. Amounts: open_amount_* positive when the customer owes us (receivable) or
  we owe the supplier (payable); *_fc in the invoice's currency.
-#}
{% macro open_items(as_of=none) -%}
{%- set b = var('aging_buckets', [30, 60, 90]) %}
with lines as (
    select * from {{ ref('int_open_item_lines') }}
    {%- if as_of %}
    where entry_date <= {{ as_of }}
    {%- endif %}
),
items as (
    select
        division,
        item_type,
        account_id,
        invoice_number,
        max(account_code) as account_code,
        max(account_name) as account_name,
        min(case when is_invoice_line then entry_date end) as invoice_date,
        max(case when is_invoice_line then due_date end) as due_date,
        coalesce(max(case when is_invoice_line then currency end), max(currency)) as currency,
        sum(case when is_invoice_line then amount_dc else 0 end) as invoiced_dc,
        sum(amount_dc) as balance_dc,
        sum(amount_fc) as balance_fc,
        count(*) as line_count,
        max(entry_date) as last_movement_date
    from lines
    group by division, item_type, account_id, invoice_number
    having abs(sum(amount_dc)) > 0.005
),
signed as (
    select
        i.*,
        case i.item_type when 'receivable' then 1 else -1 end as sign_factor,
        {{ dbt.datediff('i.due_date', as_of if as_of else 'cast(' ~ dbt.current_timestamp() ~ ' as date)', 'day') }}
            as days_past_due
    from items as i
)
select
    {{ dbt.concat(["cast(division as " ~ dbt.type_string() ~ ")", "':'", "item_type", "':'",
                   "coalesce(account_id, '-')", "':'",
                   "coalesce(cast(invoice_number as " ~ dbt.type_string() ~ "), '-')"]) }} as open_item_key,
    division,
    item_type,
    account_id,
    account_code,
    account_name,
    invoice_number,
    invoice_date,
    due_date,
    currency,
    sign_factor * invoiced_dc as original_amount_dc,
    sign_factor * (invoiced_dc - balance_dc) as settled_amount_dc,
    sign_factor * balance_dc as open_amount_dc,
    sign_factor * balance_fc as open_amount_fc,
    line_count,
    last_movement_date,
    days_past_due,
    case
        when days_past_due is null or days_past_due <= 0 then 'not due'
        when days_past_due <= {{ b[0] }} then '1-{{ b[0] }}'
        {%- for i in range(1, b | length) %}
        when days_past_due <= {{ b[i] }} then '{{ b[i - 1] + 1 }}-{{ b[i] }}'
        {%- endfor %}
        else 'over {{ b[-1] }}'
    end as aging_bucket
    {%- if as_of %},
    {{ as_of }} as as_of_date
    {%- endif %}
from signed
{%- endmacro %}

{#- Aging per division and account of mart_open_items (open items as of var aging_as_of). -#}
{% macro aging_report(item_type) -%}
{%- set b = var('aging_buckets', [30, 60, 90]) %}
select
    {{ dbt.concat(["cast(division as " ~ dbt.type_string() ~ ")", "':'", "coalesce(account_id, '-')"]) }} as aging_key,
    division,
    account_id,
    max(account_code) as account_code,
    max(account_name) as account_name,
    max(as_of_date) as as_of_date,
    count(*) as open_items,
    sum(open_amount_dc) as open_amount_dc,
    sum(case when days_past_due <= 0 or due_date is null then open_amount_dc else 0 end) as not_due_dc,
    sum(case when days_past_due between 1 and {{ b[0] }} then open_amount_dc else 0 end) as days_1_{{ b[0] }}_dc,
    {%- for i in range(1, b | length) %}
    sum(case when days_past_due between {{ b[i - 1] + 1 }} and {{ b[i] }} then open_amount_dc else 0 end) as days_{{ b[i - 1] + 1 }}_{{ b[i] }}_dc,
    {%- endfor %}
    sum(case when days_past_due > {{ b[-1] }} then open_amount_dc else 0 end) as over_{{ b[-1] }}_dc,
    max(days_past_due) as max_days_past_due
from {{ ref('mart_open_items') }}
where item_type = '{{ item_type }}'
group by division, account_id
{%- endmacro %}
