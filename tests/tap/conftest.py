"""One sandbox for the tap tests: 2 divisions, 1200 transaction lines each, limits off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sandbox import SandboxProcess


@pytest.fixture(scope="session")
def tapbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    proc = SandboxProcess(seed=11, divisions=2, rows=1200, no_limits=True)
    proc.start(log_dir=tmp_path_factory.mktemp("tapbox"))
    yield proc
    proc.stop()
