-- Current state of `employees`: latest version per (division, employee_id), rows in `deleted` removed.

{{ exact_current('stg_employees', 'employee_id', 'employees') }}
