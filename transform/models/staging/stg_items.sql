-- Every loaded version of `items` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{% set src = source('exactonline', 'items') %}
select
    {{ audit_columns(src, 'ID', has_timestamp=True, has_modified=True) }},
    {{ exact_guid("ID") }} as item_id,
    trim({{ exact_str(exact_col('Code')) }}) as item_code,
    {{ exact_str(exact_col('Description')) }} as item_description,
    {{ exact_str("ItemGroupCode") }} as item_group_code,
    {{ exact_str("ItemGroupDescription") }} as item_group_description,
    {{ exact_bool("IsSalesItem") }} as is_sales_item,
    {{ exact_bool("IsPurchaseItem") }} as is_purchase_item,
    {{ exact_bool("IsStockItem") }} as is_stock_item,
    {{ exact_str("Unit") }} as unit_code,
    {{ exact_str("UnitDescription") }} as unit_description,
    {{ exact_amount("CostPriceStandard") }} as cost_price_standard,
    {{ exact_amount("AverageCost") }} as average_cost,
    {{ exact_guid("GLRevenue") }} as gl_revenue_account_id,
    {{ exact_guid("GLCosts") }} as gl_costs_account_id,
    {{ exact_guid("GLStock") }} as gl_stock_account_id,
    {{ exact_date("StartDate") }} as start_date,
    {{ exact_date("EndDate") }} as end_date
from {{ src }}
