"""Shared pytest fixtures and switches: a sandbox process per test session; slow tests; and
``REQUIRE_ALL=1``, under which a skipped test fails.

A developer without PostgreSQL, the Meltano plugins or the warehouse emulators gets a clear skip
naming what is missing. CI (``.ci/run``) installs all of them and sets ``REQUIRE_ALL=1``, so a
component that went missing fails the run instead of hiding its tests behind a skip. Tests
marked ``slow`` are deselected (not skipped) unless ``--run-slow`` or ``RUN_SLOW=1``.
"""

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
    slow = [item for item in items if "slow" in item.keywords]
    if slow:  # `make chaos` runs them
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if "slow" not in item.keywords]


def require_all() -> bool:
    """Whether every test must run (CI): ``REQUIRE_ALL=1``."""
    return os.environ.get("REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under ``REQUIRE_ALL=1`` a skip (a missing component) is a failure with its reason."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if require_all() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        reason = str(reason).removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = (f"REQUIRE_ALL=1 (CI): this test may not be skipped: {reason}. "
                           "Install what it needs (see .ci/run).")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A sandbox shared by the whole session (seed 7, 2 divisions, small tables).

    Tests that mutate data or need special options start their own ``SandboxProcess``.
    """
    proc = SandboxProcess(seed=7, divisions=2, rows=2000)
    proc.start(log_dir=tmp_path_factory.mktemp("sandbox"))
    yield proc
    proc.stop()
