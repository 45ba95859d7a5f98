-- Receivables aging per division and customer as of var aging_as_of (default today): the open
-- receivables of mart_open_items (general ledger) in buckets of days past due (var
-- aging_buckets, default 30, 60, 90).
{{ aging_report('receivable') }}
