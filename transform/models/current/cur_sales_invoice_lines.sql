-- Current state of `sales_invoices`: latest version per (division, sales_invoice_row_id), rows in `deleted` removed.
select * from (
{{ exact_current('stg_sales_invoices', 'sales_invoice_row_id', 'sales_invoices') }}
) as c
where line_number <> 0
