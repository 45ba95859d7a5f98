-- Open receivables and payables as of var aging_as_of (YYYY-MM-DD; default today), from the
-- general ledger: per division, account and invoice, what was open on that day (lines dated
-- after it do not count), with days past due and the aging bucket. Any date can be chosen:
--   dbt build --select mart_open_items+ --vars '{aging_as_of: "2025-06-30"}'
{{ open_items(aging_as_of()) }}
