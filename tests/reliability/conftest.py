"""Fixtures of the reliability suite: sandboxes, and the figures of docs/reliability.md.

Every test adds what it saw to the session's :class:`~tests.reliability.harness.Ledger`; with
``CHAOS_REPORT=<path>`` (``make chaos``) the table is written there when the session ends.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import Ledger
from tests.support.sandbox import SandboxProcess

LEDGER = Ledger()
STARTED = time.monotonic()
REPORT_HEADER = Path(__file__).with_name("report_header.md")


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return LEDGER


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    """Start ``SandboxProcess(**options)`` (small data, limits off); stopped after the test."""
    started: list[SandboxProcess] = []

    def start(**options: object) -> SandboxProcess:
        options = {"seed": 9, "divisions": 2, "rows": 200, "no_limits": True,
                   "token_calls_per_day": 5000, **options}
        proc = SandboxProcess(**options)
        started.append(proc)
        log_dir = tmp_path / "sandbox-logs"
        log_dir.mkdir(exist_ok=True)
        return proc.start(log_dir=log_dir)

    yield start
    for proc in started:
        proc.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("CHAOS_REPORT")
    if not target or not LEDGER.rows:
        return
    header = REPORT_HEADER.read_text(encoding="utf-8")
    outcome = "all passed" if exitstatus == 0 else f"pytest exit status {exitstatus}"
    body = LEDGER.render(STARTED)
    Path(target).write_text(
        header.replace("{{FIGURES}}", body).replace("{{OUTCOME}}", outcome), encoding="utf-8")
