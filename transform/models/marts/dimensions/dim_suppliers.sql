-- Suppliers: accounts flagged IsSupplier.
select * from {{ ref('dim_accounts') }}
where is_supplier
