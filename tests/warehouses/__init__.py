"""Warehouse tests: dbt on DuckDB, BigQuery emulator, fakesnow."""
