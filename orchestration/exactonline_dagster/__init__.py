"""Dagster project for tap-exactonline: one partition per Exact division (docs/scale.md)."""
