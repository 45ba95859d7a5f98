-- Current state of `gl_schemes`: latest version per (division, gl_scheme_id).

{{ exact_current('stg_gl_schemes', 'gl_scheme_id') }}
