-- General-ledger posting lines (current state), enriched with the names of their GL account,
-- cost center, cost unit and account. LineNumber 0 is the entry's total line on the
-- receivables, payables or bank account: a real posting, kept (without it no entry balances).
-- Header rows that Exact mixes into sync/Financial/TransactionLines without a GL account
-- (LineNumber 0, no GLAccount) are dropped; the lines of every entry then sum to zero.
{%- set key = "cast(t.division as " ~ dbt.type_string() ~ ")" %}
select
    t.record_key as transaction_line_key,
    t.division,
    t.transaction_line_id,
    t.entry_id,
    {{ dbt.concat([key, "':'", "t.entry_id"]) }} as entry_key,
    t.entry_number,
    t.line_number,
    t.journal_code,
    t.journal_description,
    t.entry_type,
    t.status,
    t.financial_year,
    t.financial_period,
    t.entry_date,
    t.due_date,
    case when t.gl_account_id is not null then {{ dbt.concat([key, "':'", "t.gl_account_id"]) }} end as gl_account_key,
    t.gl_account_id,
    coalesce(g.gl_account_code, t.gl_account_code) as gl_account_code,
    coalesce(g.gl_account_description, t.gl_account_description) as gl_account_description,
    g.balance_type as gl_balance_type,
    g.classification_path as gl_classification_path,
    case when t.cost_center_code is not null then {{ dbt.concat([key, "':'", "t.cost_center_code"]) }} end as cost_center_key,
    t.cost_center_code,
    coalesce(cc.cost_center_description, t.cost_center_description) as cost_center_description,
    case when t.cost_unit_code is not null then {{ dbt.concat([key, "':'", "t.cost_unit_code"]) }} end as cost_unit_key,
    t.cost_unit_code,
    coalesce(cu.cost_unit_description, t.cost_unit_description) as cost_unit_description,
    case when t.account_id is not null then {{ dbt.concat([key, "':'", "t.account_id"]) }} end as account_key,
    t.account_id,
    coalesce(a.account_code, t.account_code) as account_code,
    coalesce(a.account_name, t.account_name) as account_name,
    case when t.project_id is not null then {{ dbt.concat([key, "':'", "t.project_id"]) }} end as project_key,
    t.project_id,
    t.project_code,
    case when t.item_id is not null then {{ dbt.concat([key, "':'", "t.item_id"]) }} end as item_key,
    t.item_id,
    t.item_code,
    t.currency,
    t.amount_dc,
    t.amount_fc,
    t.amount_vat_fc,
    case when t.amount_dc > 0 then t.amount_dc else 0 end as debit_dc,
    case when t.amount_dc < 0 then -t.amount_dc else 0 end as credit_dc,
    t.quantity,
    t.vat_code,
    t.invoice_number,
    t.description,
    t.source_system,
    t.extracted_at,
    t.exact_timestamp,
    t.exact_modified
from {{ ref('cur_transaction_lines') }} as t
left join {{ ref('dim_gl_accounts') }} as g
    on g.division = t.division and g.gl_account_id = t.gl_account_id
left join {{ ref('dim_cost_centers') }} as cc
    on cc.division = t.division and cc.cost_center_code = t.cost_center_code
left join {{ ref('dim_cost_units') }} as cu
    on cu.division = t.division and cu.cost_unit_code = t.cost_unit_code
left join {{ ref('dim_accounts') }} as a
    on a.division = t.division and a.account_id = t.account_id
where not (t.line_number = 0 and t.gl_account_id is null)
