"""Fixtures of the OAuth tests: a small sandbox of their own per test (token rules are global
per app in the sandbox, so tests must not share one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import SandboxProcess


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    """Start ``SandboxProcess(**options)`` (small data); stopped after the test."""
    started: list[SandboxProcess] = []

    def start(**options: object) -> SandboxProcess:
        options = {"seed": 3, "divisions": 2, "rows": 20, "token_calls_per_day": 2000,
                   **options}
        proc = SandboxProcess(**options)
        started.append(proc)
        log_dir = tmp_path / "sandbox-logs"
        log_dir.mkdir(exist_ok=True)
        return proc.start(log_dir=log_dir)

    yield start
    for proc in started:
        proc.stop()
