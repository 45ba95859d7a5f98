-- Every loaded version of `accounts` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'accounts') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=True, has_modified=True) }},
    {{ exact_guid("ID") }} as account_id,
    trim({{ exact_str(exact_col('Code')) }}) as account_code,
    {{ exact_str(exact_col('Name')) }} as account_name,
    {{ exact_str("SearchCode") }} as search_code,
    {{ exact_str(exact_col('Status')) }} as account_status,
    {{ exact_bool("IsSales") }} as is_sales,
    {{ exact_bool("IsSupplier") }} as is_supplier,
    {{ exact_bool("IsPurchase") }} as is_purchase,
    {{ exact_bool("Blocked") }} as is_blocked,
    {{ exact_str("City") }} as city,
    {{ exact_str("Postcode") }} as postcode,
    {{ exact_str("Country") }} as country,
    {{ exact_str("Email") }} as email,
    {{ exact_str("VATNumber") }} as vat_number,
    {{ exact_str("ChamberOfCommerce") }} as chamber_of_commerce,
    {{ exact_str("SalesCurrency") }} as sales_currency,
    {{ exact_str("PurchaseCurrency") }} as purchase_currency,
    {{ exact_str("PaymentConditionSales") }} as payment_condition_sales,
    {{ exact_str("PaymentConditionPurchase") }} as payment_condition_purchase,
    {{ exact_amount("CreditLineSales") }} as credit_line_sales,
    {{ exact_amount("CreditLinePurchase") }} as credit_line_purchase,
    {{ exact_guid("GLAR") }} as gl_receivables_account_id,
    {{ exact_guid("GLAP") }} as gl_payables_account_id,
    {{ exact_str("ClassificationDescription") }} as classification_description,
    {{ exact_guid("Parent") }} as parent_account_id,
    {{ exact_date("CustomerSince") }} as customer_since
from {{ src }}
