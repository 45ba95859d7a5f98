"""End-to-end tests: Meltano runs into DuckDB against the sandbox."""
