-- Every loaded version of `purchase_entries` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'purchase_entries') %}
select
    {{ audit_columns(src, 'EntryID', has_timestamp=False, has_modified=True) }},
    {{ exact_guid("EntryID") }} as entry_id,
    {{ exact_int("EntryNumber") }} as entry_number,
    {{ exact_guid("Supplier") }} as supplier_account_id,
    {{ exact_str("SupplierName") }} as supplier_name,
    {{ exact_date("EntryDate") }} as entry_date,
    {{ exact_date("DueDate") }} as due_date,
    {{ exact_int("InvoiceNumber") }} as invoice_number,
    {{ exact_str("YourRef") }} as your_ref,
    {{ exact_str("Journal") }} as journal_code,
    {{ exact_str("Currency") }} as currency,
    {{ exact_int("ReportingYear") }} as reporting_year,
    {{ exact_int("ReportingPeriod") }} as reporting_period,
    {{ exact_int(exact_col('Status')) }} as status,
    {{ exact_int(exact_col('Type')) }} as entry_type,
    {{ exact_str("PaymentCondition") }} as payment_condition,
    {{ exact_amount("AmountDC") }} as amount_dc,
    {{ exact_amount("AmountFC") }} as amount_fc,
    {{ exact_amount("VATAmountDC") }} as vat_amount_dc,
    {{ exact_str(exact_col('Description')) }} as description
from {{ src }}
