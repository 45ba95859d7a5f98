-- Every loaded version of `receivables` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'receivables') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=False, has_modified=True) }},
    {{ exact_guid("ID") }} as receivable_id,
    {{ exact_guid("Account") }} as account_id,
    trim({{ exact_str("AccountCode") }}) as account_code,
    {{ exact_str("AccountName") }} as account_name,
    {{ exact_guid("EntryID") }} as entry_id,
    {{ exact_int("EntryNumber") }} as entry_number,
    {{ exact_int("InvoiceNumber") }} as invoice_number,
    {{ exact_date("InvoiceDate") }} as invoice_date,
    {{ exact_date("DueDate") }} as due_date,
    {{ exact_date("EntryDate") }} as entry_date,
    {{ exact_str("Journal") }} as journal_code,
    {{ exact_str("Currency") }} as currency,
    {{ exact_amount("AmountDC") }} as amount_dc,
    {{ exact_amount("AmountFC") }} as amount_fc,
    {{ exact_amount("TransactionAmountDC") }} as transaction_amount_dc,
    {{ exact_bool("IsFullyPaid") }} as is_fully_paid,
    {{ exact_int(exact_col('Status')) }} as status,
    {{ exact_date("LastPaymentDate") }} as last_payment_date,
    {{ exact_str(exact_col('Description')) }} as description
from {{ src }}
