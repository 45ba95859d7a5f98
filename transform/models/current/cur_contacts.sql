-- Current state of `contacts`: latest version per (division, contact_id), rows in `deleted` removed.

{{ exact_current('stg_contacts', 'contact_id', 'contacts') }}
