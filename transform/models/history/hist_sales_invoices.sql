-- Every version of `sales_invoices` with valid_from / valid_to (UTC), from an append-only load
-- (docs/warehouses.md "Load modes"); with an upsert load only the latest version is there.
{{ exact_history('stg_sales_invoices', 'sales_invoice_row_id', 'sales_invoices') }}
