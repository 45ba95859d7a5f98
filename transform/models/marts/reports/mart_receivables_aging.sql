-- Receivables aging: open receivables (bulk/Cashflow/Receivables, not fully paid, status open
-- or selected) per division and customer, in buckets of days past due as of var aging_as_of
-- (default: today). Buckets from var aging_buckets (default 30, 60, 90).
{{ aging_report('cur_receivables', 'receivable_id', "not coalesce(is_fully_paid, false)") }}
