-- sync/Payroll/Employees (Timestamp); opt-in (personal data).
-- Every loaded version, typed and snake_case, with the audit columns (macros/staging.sql).
{{ exact_staging('employees', 'ID', [
    ('ID', 'guid', 'employee_id'),
    ('Code', 'code', 'employee_code'),
    ('FullName', 'str', 'full_name'),
    ('City', 'str', 'city'),
    ('StartDate', 'date', 'start_date'),
    ('EndDate', 'date', 'end_date'),
    ('IsActive', 'bool', 'is_active'),
]) }}
