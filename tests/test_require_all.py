"""``REQUIRE_ALL=1`` (what ``.ci/run`` sets) turns a skipped test into a failure naming why.

Runs pytest on a one-test file that skips, with this suite's conftest loaded as a plugin, once
as a developer does (a clear skip) and once as CI does (a failure).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SKIPPING = '''
import pytest

def test_needs_a_component():
    pytest.skip("fakesnow unavailable: not installed")
'''


@pytest.mark.parametrize(("require_all", "exit_code", "shown"), [
    ("0", 0, "1 skipped"),
    ("1", 1, "REQUIRE_ALL=1 (CI): this test may not be skipped: fakesnow unavailable"),
])
def test_a_skip_fails_only_under_require_all(tmp_path: Path, require_all: str, exit_code: int,
                                              shown: str) -> None:
    (tmp_path / "test_skipping.py").write_text(SKIPPING, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(tmp_path / "test_skipping.py")],
        cwd=REPO, env={**os.environ, "REQUIRE_ALL": require_all},
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert run.returncode == exit_code, run.stdout + run.stderr
    assert shown in run.stdout, run.stdout
