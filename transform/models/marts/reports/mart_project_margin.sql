-- Project margin per division and project, on two bases side by side:
--   registrations: time and cost transactions (sync/Project/TimeCostTransactions) at their
--     price (AmountFC = revenue) against the item's standard cost price (cost);
--   general ledger: the project's posted lines on profit-and-loss accounts, revenue = credits
--     on revenue accounts (balance side C), costs = debits on cost accounts (balance side D).
-- margin_dc takes the general ledger when the project has P&L postings, else the
-- registrations (margin_basis says which), so unbilled work still shows its margin.
with gl as (
    select
        t.division,
        t.project_id,
        count(*) as gl_lines,
        sum(case when g.balance_side = 'C' then -t.amount_dc else 0 end) as gl_revenue_dc,
        sum(case when g.balance_side = 'D' then t.amount_dc else 0 end) as gl_costs_dc
    from {{ ref('fct_transaction_lines') }} as t
    join {{ ref('dim_gl_accounts') }} as g
        on g.gl_account_key = t.gl_account_key
    where t.project_id is not null
      and g.balance_type = 'W'
    group by t.division, t.project_id
),
registered as (
    select
        r.division,
        r.project_id,
        count(*) as time_cost_transactions,
        sum(case when r.transaction_type = 1 then r.quantity else 0 end) as hours,
        sum(r.amount_fc) as registered_revenue,
        sum(r.quantity * coalesce(i.cost_price_standard, 0)) as registered_costs
    from {{ ref('cur_time_cost_transactions') }} as r
    left join {{ ref('dim_items') }} as i
        on i.division = r.division and i.item_id = r.item_id
    where r.project_id is not null
    group by r.division, r.project_id
),
combined as (
    select
        p.*,
        coalesce(gl.gl_lines, 0) as gl_lines,
        coalesce(gl.gl_revenue_dc, 0) as gl_revenue_dc,
        coalesce(gl.gl_costs_dc, 0) as gl_costs_dc,
        coalesce(r.time_cost_transactions, 0) as time_cost_transactions,
        coalesce(r.hours, 0) as hours,
        coalesce(r.registered_revenue, 0) as registered_revenue,
        coalesce(r.registered_costs, 0) as registered_costs
    from {{ ref('dim_projects') }} as p
    left join gl on gl.division = p.division and gl.project_id = p.project_id
    left join registered as r on r.division = p.division and r.project_id = p.project_id
)
select
    project_key,
    division,
    project_id,
    project_code,
    project_description,
    account_name as customer_name,
    project_type_description,
    case when gl_lines > 0 then 'general ledger' else 'registrations' end as margin_basis,
    case when gl_lines > 0 then gl_revenue_dc else registered_revenue end as revenue_dc,
    case when gl_lines > 0 then gl_costs_dc else registered_costs end as costs_dc,
    case when gl_lines > 0 then gl_revenue_dc - gl_costs_dc
        else registered_revenue - registered_costs end as margin_dc,
    case
        when gl_lines > 0 and gl_revenue_dc <> 0
            then round((gl_revenue_dc - gl_costs_dc) / gl_revenue_dc * 100, 2)
        when gl_lines = 0 and registered_revenue <> 0
            then round((registered_revenue - registered_costs) / registered_revenue * 100, 2)
    end as margin_pct,
    gl_lines,
    gl_revenue_dc,
    gl_costs_dc,
    time_cost_transactions,
    hours,
    registered_revenue,
    registered_costs,
    budgeted_revenue,
    budgeted_costs,
    budgeted_revenue - budgeted_costs as budgeted_margin
from combined
