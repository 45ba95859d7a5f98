-- General-ledger lines on receivables (GLAccounts.Type 20) and payables (22) accounts: the
-- material of the open items (macros/aging.sql). is_invoice_line marks the lines of sales and
-- purchase entries (and their credit notes), which date the item and carry its due date.
select
    t.division,
    case a.gl_account_type when 20 then 'receivable' else 'payable' end as item_type,
    t.gl_account_id,
    t.account_id,
    t.account_code,
    t.account_name,
    t.invoice_number,
    t.entry_id,
    t.entry_type,
    t.entry_date,
    t.due_date,
    t.currency,
    t.amount_dc,
    t.amount_fc,
    t.entry_type in (20, 21, 30, 31) as is_invoice_line
from {{ ref('fct_transaction_lines') }} as t
join {{ ref('int_reporting_accounts') }} as a
    on a.gl_account_key = t.gl_account_key
where a.gl_account_type in (20, 22)
