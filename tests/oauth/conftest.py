"""Fixtures of the OAuth tests: a small sandbox of their own per test (token rules are global
per app in the sandbox, so tests must not share one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import SandboxProcess, sandbox_starter


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    """Start ``SandboxProcess(**options)`` (small data); stopped after the test."""
    yield from sandbox_starter(
        tmp_path / "sandbox-logs",
        {"seed": 3, "divisions": 2, "rows": 20, "token_calls_per_day": 2000},
    )
