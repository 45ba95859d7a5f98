"""Shared pytest fixtures: a sandbox process per test session, and the slow-test switch."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import SandboxProcess

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow") or os.environ.get("RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with `make chaos` or --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A sandbox shared by the whole session (seed 7, 2 divisions, small tables).

    Tests that mutate data or need special options start their own ``SandboxProcess``.
    """
    proc = SandboxProcess(seed=7, divisions=2, rows=2000)
    proc.start(log_dir=tmp_path_factory.mktemp("sandbox"))
    yield proc
    proc.stop()
