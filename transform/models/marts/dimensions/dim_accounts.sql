-- Every CRM account (customers, suppliers, prospects): the dimension every line's Account
-- refers to. dim_customers and dim_suppliers are its subsets.
select
    record_key as account_key,
    division,
    account_id,
    account_code,
    account_name,
    search_code,
    account_status,
    case account_status
        when 'C' then 'Customer' when 'P' then 'Prospect' when 'S' then 'Suspect'
        when 'A' then 'Accountant' when 'D' then 'Reseller'
    end as account_status_description,
    (account_status = 'C') as is_customer,
    coalesce(is_supplier, false) as is_supplier,
    is_sales,
    is_purchase,
    is_blocked,
    city,
    postcode,
    country,
    email,
    vat_number,
    chamber_of_commerce,
    sales_currency,
    purchase_currency,
    payment_condition_sales,
    payment_condition_purchase,
    credit_line_sales,
    credit_line_purchase,
    classification_description,
    customer_since,
    source_system,
    extracted_at,
    exact_timestamp,
    exact_modified
from {{ ref('cur_accounts') }}
