"""``make mutants``: mutation testing of the tap's conversion, stream table and rate limiter.

mutmut (2.x: it writes each mutant into the source file on disk, so the tap subprocesses the
tests start run the mutant too) changes one thing at a time in

* ``tap_exactonline/odata.py``      record conversion, the moment-field table, dates, filters
* ``tap_exactonline/streamtable.py`` the stream table
* ``tap_exactonline/streams.py``    the stream families
* ``tap_exactonline/ratelimit.py``  the rate limiter

and runs the in-process tests that guard that file, stopping at the first failure (about 2-5
seconds a mutant, most of it Python and pytest starting; no sandbox, no server):

* ``odata.py``      tests/tap/test_conversion.py, then test_stream_table.py
* ``streamtable.py``, ``streams.py``    tests/tap/test_stream_table.py, test_sync_family.py,
  test_modified_bookmark.py, test_conversion.py
* ``ratelimit.py``  tests/ratelimit/test_limiter.py (fake and virtual clocks)

The sandbox-based tests (the full sync against the canonical truth, the deletions, the tap at
the sandbox's limits) take 20 s to 3 minutes each and would make a run take many hours; they
are not run per mutant. ``tests.mutation.realistic`` (the first step of ``make mutants``)
checks that they catch the realistic bugs.

A mutant the tests fail on is killed; one they pass on survives. The survivors are written to
``output/mutants.txt`` (each with its diff) and must be listed in docs/testing.md with the reason
each is acceptable. mutmut lives in its own venv (``.meltano/test-tools/mutmut``). It edits the
files in place while it runs (and restores them): do not work in the tree meanwhile. The results
stay in ``.mutmut-cache``; ``make mutants`` again re-tests only what changed (after a change to
the tests: every mutant that survived or timed out).

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
# (file to mutate, its in-process tests per mutant, the likeliest to fail first)
PASSES = [
    ("tap_exactonline/odata.py",
     ["tests/tap/test_conversion.py", "tests/tap/test_stream_table.py"]),
    *((path, ["tests/tap/test_stream_table.py", "tests/tap/test_sync_family.py",
              "tests/tap/test_modified_bookmark.py", "tests/tap/test_conversion.py"])
      for path in ("tap_exactonline/streamtable.py", "tap_exactonline/streams.py")),
    ("tap_exactonline/ratelimit.py", ["tests/ratelimit/test_limiter.py"]),
]
# pytest plugins these tests do not use (hypothesis alone costs 1.3 s of start-up a mutant)
NO_PLUGINS = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio"]
# A mutant that makes a test hang (a limiter that never lets a call through) fails that test
# after PER_TEST_TIMEOUT seconds (pytest-timeout) and counts as killed. mutmut's own timeout
# (the unmutated run's time times 2, plus TIME_BASE seconds) is only a backstop: mutmut 2
# kills the shell, not the pytest under it, and then waits for its output forever.
PER_TEST_TIMEOUT = "15"
TIME_BASE = "90"
REPORT = REPO / "output" / "mutants.txt"


def runner(tests: list[str]) -> str:
    """The test command mutmut runs per mutant.

    mutmut 2 counts only exit status 1 as "tests failed", so every failure (2: a mutant that
    breaks the import, 3, 4...) is mapped to 1. PYTHONDONTWRITEBYTECODE is set in its
    environment: no bytecode is written, so every mutant is compiled anew.
    """
    pytest = " ".join([shlex.quote(sys.executable), "-m", "pytest", "-x", "-q", *NO_PLUGINS,
                       "--timeout", PER_TEST_TIMEOUT, *tests])
    return f"sh -c {shlex.quote(pytest + ' || exit 1')}"


def surviving_ids(results: str) -> list[str]:
    """The ids of the surviving mutants in ``mutmut results``' output.

    mutmut 2 prints them per file under ``Survived 🙁 (N)`` as ranges: ``3-4, 7, 11``.
    """
    section = re.search(r"^Survived[^\n]*\n(.*?)(?=^[A-Z]|\Z)", results, re.DOTALL | re.MULTILINE)
    if section is None:
        return []
    ids: list[str] = []
    for line in section.group(1).splitlines():
        if line.startswith("----"):
            continue
        for low, high in re.findall(r"(\d+)(?:-(\d+))?", line):
            ids.extend(str(n) for n in range(int(low), int(high or low) + 1))
    return ids


def main(argv: list[str]) -> int:
    """Run every pass, or only those over the files named in ``argv``."""
    passes = [(path, tests) for path, tests in PASSES if not argv or path in argv]
    try:
        venv = venv_with("mutmut", MUTMUT)
    except ToolUnavailable as exc:
        print(f"make mutants: {exc}", file=sys.stderr)
        return 1
    mutmut = str(venv / "bin" / "mutmut")
    for cache in (REPO / "tap_exactonline").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    # PYTHONPATH: the tests' subprocesses (scripts/generate_schemas.py) import this tree's tap,
    # the mutant, also in a clone whose venv has the tap installed from elsewhere
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(REPO)}
    for path, tests in passes:
        print(f"==> mutmut over {path}; tests per mutant: {' '.join(tests)}", flush=True)
        run = subprocess.run(
            [mutmut, "run", "--paths-to-mutate", path, "--tests-dir", "tests",
             "--runner", runner(tests), "--test-time-base", TIME_BASE, "--no-progress",
             "--simple-output"],
            cwd=REPO, env=env, check=False,
        )
        if run.returncode & 1:
            print("make mutants: mutmut could not run (see above)", file=sys.stderr)
            return 1
    results = subprocess.run([mutmut, "results"], cwd=REPO, env=env, capture_output=True,
                             text=True, check=False).stdout
    survivors = surviving_ids(results)
    shows = [subprocess.run([mutmut, "show", m], cwd=REPO, env=env, capture_output=True,
                            text=True, check=False).stdout for m in survivors]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(results + "\n\n" + "\n".join(shows), encoding="utf-8")
    print(results)
    print(f"==> {len(survivors)} surviving mutants, with their diffs: {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
