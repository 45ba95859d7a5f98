-- Current state of `gl_classifications`: latest version per (division, gl_classification_id), rows in `deleted` removed.

{{ exact_current('stg_gl_classifications', 'gl_classification_id', 'gl_classifications') }}

