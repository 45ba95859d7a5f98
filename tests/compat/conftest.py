"""Fixtures of the compatibility suite: one sandbox and one script run per library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.compat.clients import LIBRARIES, run_library
from tests.sandbox.data_support import Client
from tests.support.sandbox import SandboxProcess
from tests.support.venvs import ToolUnavailable


class Run:
    """A library's results, the sandbox it ran against, and a direct client for the truth."""

    def __init__(self, results: dict[str, Any], sandbox: SandboxProcess) -> None:
        self.results = results
        self.sandbox = sandbox
        self.direct = Client(sandbox)

    def value(self, step: str) -> Any:
        """The value of a step that must have succeeded."""
        outcome = self.results.get(step)
        assert outcome is not None, f"step {step!r} did not run: {sorted(self.results)}"
        assert outcome["ok"], f"step {step!r} failed: {outcome['error']}\n{outcome['trace']}"
        return outcome["value"]

    def error(self, step: str) -> str:
        """The error of a step that must have failed (a documented library defect)."""
        outcome = self.results[step]
        assert not outcome["ok"], f"step {step!r} now works: update docs/sandbox.md"
        return str(outcome["error"])


def library_run(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Start a sandbox (seed 7, 2 divisions, 6000 lines: more than one page of accounts and
    of read lists), run the library's script against it, yield the results."""
    lib = LIBRARIES[name]
    work = tmp_path_factory.mktemp(f"compat-{name}")
    try:
        from tests.compat.clients import python_of

        python_of(lib)
    except ToolUnavailable as exc:
        pytest.skip(f"{name} could not be installed from PyPI: {exc}")
    sandbox = SandboxProcess(seed=7, divisions=2, rows=6000)
    sandbox.start(log_dir=work)
    try:
        yield Run(run_library(lib, sandbox, work), sandbox)
    finally:
        sandbox.stop()
