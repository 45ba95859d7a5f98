-- Payables aging: open payments to suppliers (bulk/Cashflow/Payments, status open or
-- selected) per division and supplier, in buckets of days past due as of var aging_as_of
-- (default: today). Buckets from var aging_buckets (default 30, 60, 90).
{{ aging_report('cur_payments', 'payment_id', "true") }}
