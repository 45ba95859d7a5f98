-- read/financial/AgingPayablesList (snapshot): open payables per supplier by age group.
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('aging_payables_list', 'AccountId', [
    ('AccountId', 'guid', 'account_id'),
    ('AccountCode', 'code', 'account_code'),
    ('AccountName', 'str', 'account_name'),
    ('CurrencyCode', 'code', 'currency'),
    ('AgeGroup1Amount', 'amount', 'age_group_1_amount'),
    ('AgeGroup2Amount', 'amount', 'age_group_2_amount'),
    ('AgeGroup3Amount', 'amount', 'age_group_3_amount'),
    ('AgeGroup4Amount', 'amount', 'age_group_4_amount'),
    ('AgeGroup1Description', 'str', 'age_group_1_description'),
    ('AgeGroup2Description', 'str', 'age_group_2_description'),
    ('AgeGroup3Description', 'str', 'age_group_3_description'),
    ('AgeGroup4Description', 'str', 'age_group_4_description'),
    ('TotalAmount', 'amount', 'total_amount'),
    ('SnapshotTakenAt', 'ts', 'snapshot_taken_at'),
], has_timestamp=false, has_modified=false) }}
