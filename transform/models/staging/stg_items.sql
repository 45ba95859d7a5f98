-- Every loaded version of `items` (one row per version in an append-only load), typed
-- and snake_case, with the audit columns (macros/audit_columns.sql).
{{ exact_staging('items', 'ID', [
    ('ID', 'guid', 'item_id'),
    ('Code', 'code', 'item_code'),
    ('Description', 'str', 'item_description'),
    ('ItemGroupCode', 'str', 'item_group_code'),
    ('ItemGroupDescription', 'str', 'item_group_description'),
    ('IsSalesItem', 'bool', 'is_sales_item'),
    ('IsPurchaseItem', 'bool', 'is_purchase_item'),
    ('IsStockItem', 'bool', 'is_stock_item'),
    ('Unit', 'str', 'unit_code'),
    ('UnitDescription', 'str', 'unit_description'),
    ('CostPriceStandard', 'amount', 'cost_price_standard'),
    ('AverageCost', 'amount', 'average_cost'),
    ('GLRevenue', 'guid', 'gl_revenue_account_id'),
    ('GLCosts', 'guid', 'gl_costs_account_id'),
    ('GLStock', 'guid', 'gl_stock_account_id'),
    ('StartDate', 'date', 'start_date'),
    ('EndDate', 'date', 'end_date'),
]) }}
