-- sync/Subscription/Subscriptions (Timestamp); key EntryID.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('subscriptions', 'EntryID', [
    ('EntryID', 'guid', 'subscription_id'),
    ('Number', 'int', 'subscription_number'),
    ('Description', 'str', 'description'),
    ('OrderedBy', 'guid', 'ordered_by_account_id'),
    ('InvoiceTo', 'guid', 'invoice_to_account_id'),
    ('StartDate', 'date', 'start_date'),
    ('EndDate', 'date', 'end_date'),
    ('CancellationDate', 'date', 'cancellation_date'),
    ('InvoicingStartDate', 'date', 'invoicing_start_date'),
    ('SubscriptionTypeCode', 'str', 'subscription_type_code'),
    ('SubscriptionTypeDescription', 'str', 'subscription_type_description'),
    ('Currency', 'str', 'currency'),
    ('BlockEntry', 'bool', 'is_entry_blocked'),
]) }}
