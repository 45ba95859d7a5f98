"""``make mutants``: mutation testing of the tap's conversion, stream table and rate limiter.

mutmut (2.x: it writes each mutant into the source file on disk, so the tap subprocesses the
tests start run the mutant too) changes one thing at a time in

* ``tap_exactonline/odata.py``      record conversion, the moment-field table, dates, filters
* ``tap_exactonline/streams.py``    the stream table and the stream families
* ``tap_exactonline/ratelimit.py``  the rate limiter

and runs the tests that guard them, fastest first, stopping at the first failure. For
``odata.py`` and ``streams.py``: tests/tap/test_conversion.py and test_stream_table.py
(in-process, a few seconds), tests/tap/test_deletions_sandbox.py (one row of each sync stream
deleted, named per key), then the full sync of every stream compared field by field with the
sandbox's canonical rows (test_sync_sandbox.py::test_full_sync_every_stream_equals_the_truth).
For ``ratelimit.py``: tests/ratelimit/test_limiter.py (fake clocks), then the tap at the
sandbox's limits (tests/ratelimit/test_sandbox_limits.py).

A mutant the tests fail on is killed; one they pass on survives. The survivors are written to
``output/mutants.txt`` (each with its diff) and must be listed in docs/testing.md with the reason
each is acceptable. mutmut lives in its own venv (``.meltano/test-tools/mutmut``). It edits the
files in place while it runs (and restores them): do not work in the tree meanwhile. The results
stay in ``.mutmut-cache``; ``make mutants`` again re-tests only what changed.

``python -m tests.mutation.run tap_exactonline/ratelimit.py`` runs only the passes over the
files named. Exit status: 0 when mutmut ran (whatever survived), 1 when it could not run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.venvs import ToolUnavailable, venv_with

REPO = Path(__file__).resolve().parents[2]
MUTMUT = ["mutmut==2.5.1"]
CORE_TESTS = [
    "tests/tap/test_conversion.py",
    "tests/tap/test_stream_table.py",
    "tests/tap/test_deletions_sandbox.py",
    "tests/tap/test_sync_sandbox.py::test_full_sync_every_stream_equals_the_truth",
]
LIMITER_TESTS = ["tests/ratelimit/test_limiter.py", "tests/ratelimit/test_sandbox_limits.py"]
# (files to mutate, tests per mutant, fastest first)
PASSES = [
    (["tap_exactonline/odata.py", "tap_exactonline/streams.py"], CORE_TESTS),
    (["tap_exactonline/ratelimit.py"], LIMITER_TESTS),
]
REPORT = REPO / "output" / "mutants.txt"


def runner(tests: list[str]) -> str:
    """The test command mutmut runs per mutant.

    mutmut 2 counts only exit status 1 as "tests failed", so every failure (2: a mutant that
    breaks the import, 3, 4...) is mapped to 1. PYTHONDONTWRITEBYTECODE is set in its
    environment: no bytecode is written, so every mutant is compiled anew.
    """
    pytest = " ".join([shlex.quote(sys.executable), "-m", "pytest", "-x", "-q", "-p",
                       "no:cacheprovider", *tests])
    return f"sh -c {shlex.quote(pytest + ' || exit 1')}"


def main(argv: list[str]) -> int:
    """Run every pass, or only those over the files named in ``argv``."""
    passes = [(paths, tests) for paths, tests in PASSES
              if not argv or any(p in argv for p in paths)]
    try:
        venv = venv_with("mutmut", MUTMUT)
    except ToolUnavailable as exc:
        print(f"make mutants: {exc}", file=sys.stderr)
        return 1
    mutmut = str(venv / "bin" / "mutmut")
    for cache in (REPO / "tap_exactonline").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for paths, tests in passes:
        print(f"==> mutmut over {', '.join(paths)}; tests per mutant: {' '.join(tests)}")
        run = subprocess.run(
            [mutmut, "run", "--paths-to-mutate", ",".join(paths), "--tests-dir", "tests",
             "--runner", runner(tests), "--no-progress", "--simple-output"],
            cwd=REPO, env=env, check=False,
        )
        if run.returncode & 1:
            print("make mutants: mutmut could not run (see above)", file=sys.stderr)
            return 1
    results = subprocess.run([mutmut, "results"], cwd=REPO, env=env, capture_output=True,
                             text=True, check=False).stdout
    survivors = [m for section in re.findall(r"Survived[^\n]*\n(.*?)(?:\n\n|\Z)", results,
                                             re.DOTALL)
                 for m in re.findall(r"\d+", section)]
    shows = [subprocess.run([mutmut, "show", m], cwd=REPO, env=env, capture_output=True,
                            text=True, check=False).stdout for m in survivors]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(results + "\n\n" + "\n".join(shows), encoding="utf-8")
    print(results)
    print(f"==> {len(survivors)} surviving mutants, with their diffs: {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
