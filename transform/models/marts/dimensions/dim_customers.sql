-- Customers: accounts with Status 'C' (Exact's customer status).
select * from {{ ref('dim_accounts') }}
where is_customer
