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
from tests.support.sandbox import SandboxProcess, sandbox_starter

LEDGER = Ledger()
STARTED = time.monotonic()
BEGIN = "<!-- figures: written by make chaos -->"
END = "<!-- end of figures -->"


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return LEDGER


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    """Start ``SandboxProcess(**options)`` (small data, limits off); stopped after the test."""
    yield from sandbox_starter(
        tmp_path / "sandbox-logs",
        {"seed": 9, "divisions": 2, "rows": 200, "no_limits": True, "token_calls_per_day": 5000},
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ``CHAOS_REPORT=<path>``: put the figures between the markers of that file."""
    target = os.environ.get("CHAOS_REPORT")
    if not target or not LEDGER.rows:
        return
    path = Path(target)
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    outcome = "every test passed" if exitstatus == 0 else f"pytest exit status {exitstatus}"
    figures = f"\n{LEDGER.render(STARTED)}\nOutcome of the suite: {outcome}.\n"
    path.write_text(text[:start] + figures + text[end:], encoding="utf-8")
