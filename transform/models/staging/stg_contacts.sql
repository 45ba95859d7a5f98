-- sync/CRM/Contacts (Timestamp).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('contacts', 'ID', [
    ('ID', 'guid', 'contact_id'),
    ('Account', 'guid', 'account_id'),
    ('AccountName', 'str', 'account_name'),
    ('FirstName', 'str', 'first_name'),
    ('LastName', 'str', 'last_name'),
    ('FullName', 'str', 'full_name'),
    ('JobTitleDescription', 'str', 'job_title'),
    ('Email', 'str', 'email'),
    ('Phone', 'str', 'phone'),
    ('IsMainContact', 'bool', 'is_main_contact'),
    ('City', 'str', 'city'),
    ('Country', 'str', 'country'),
]) }}
