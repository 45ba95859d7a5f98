-- Current state of `projects`: latest version per (division, project_id), rows in `deleted` removed.

{{ exact_current('stg_projects', 'project_id', 'projects') }}

