"""Fixtures of the warehouse tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.warehouses.dbt_warehouse import Warehouse, build_warehouse


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The dbt-duckdb warehouse (tests/warehouses/dbt_warehouse.py), built once per session for
    test_dbt_duckdb.py and test_dbt_finance.py: two loads and two dbt builds take minutes."""
    yield from build_warehouse(tmp_path_factory.mktemp("dbt-duckdb"))
