"""bi-refresh: refresh Power BI, Tableau and Looker after a warehouse load, and wait for it.

Modules: ``settings`` (settings from ``--config`` and ``BI_REFRESH_*``), ``summary`` (outcomes,
summary table, secret redaction), ``powerbi``, ``tableau``, ``looker`` (one per BI tool) and
``cli`` (the ``bi-refresh`` command).
"""
