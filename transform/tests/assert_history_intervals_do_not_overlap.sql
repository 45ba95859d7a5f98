-- History: per key at most one current version, and valid_to never precedes valid_from.
select division, transaction_line_id
from {{ ref('hist_transaction_lines') }}
group by division, transaction_line_id
having sum(case when is_current then 1 else 0 end) > 1
    or sum(case when valid_to < valid_from then 1 else 0 end) > 0
