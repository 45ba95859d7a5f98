"""The realistic one-line bugs of issue 18, each applied to the tap and tested.

``python -m tests.mutation.realistic`` (the first step of ``make mutants``) writes each bug
into the tap's source on disk (so the tap processes the tests start run it too), runs the
tests named for it, restores the file, and prints which tests failed. Before the suite
compared with the sandbox's canonical truth, all three passed every test:

* the record conversion nulls every field whose name ends in ``Description``;
* the sync/Deleted EntityType codes of ``accounts`` (2) and ``items`` (9) are swapped;
* five entries are dropped from the moment-field table (``MOMENT_FIELDS``).

Exit status: 0 when every bug failed at least one test; 1 when one survived, or a bug no
longer applies because the source changed (then update its text here). Like mutmut it edits
files in place while it runs: do not work in the tree meanwhile.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FULL_SYNC = "tests/tap/test_sync_sandbox.py::test_full_sync_every_stream_equals_the_truth"
DROPPED_MOMENTS = ("Approved", "DivisionMoveDate", "DivisionHRLinkUnlinkDate",
                   "PaymentSelected", "ReceivableSelected")


@dataclass(frozen=True)
class Bug:
    """One bug: text replacements in one source file, and the tests that must catch it."""

    name: str
    path: str
    edits: tuple[tuple[str, str], ...]
    tests: tuple[str, ...]


BUGS = (
    Bug("conversion nulls every *Description field", "tap_exactonline/odata.py",
        (("        out[name] = value\n",
          "        if name.endswith('Description'):\n            value = None\n"
          "        out[name] = value\n"),),
        ("tests/tap/test_conversion.py", FULL_SYNC)),
    Bug("sync/Deleted EntityType codes of accounts and items swapped",
        "tap_exactonline/streamtable.py",
        (('_sync("accounts", "sync/CRM/Accounts", 2)',
          '_sync("accounts", "sync/CRM/Accounts", 9)'),
         ('_sync("items", "sync/Logistics/Items", 9)',
          '_sync("items", "sync/Logistics/Items", 2)')),
        ("tests/tap/test_stream_table.py", "tests/tap/test_deletions_sandbox.py", FULL_SYNC)),
    Bug(f"{', '.join(DROPPED_MOMENTS)} dropped from MOMENT_FIELDS", "tap_exactonline/odata.py",
        tuple((f'        "{field}",\n', "") for field in DROPPED_MOMENTS),
        ("tests/tap/test_conversion.py", FULL_SYNC)),
)


def apply(source: str, bug: Bug) -> str:
    """``source`` with ``bug`` written in; ValueError when an edit does not match exactly once."""
    for old, new in bug.edits:
        if source.count(old) != 1:
            raise ValueError(f"{bug.path} no longer contains {old.strip()!r} exactly once")
        source = source.replace(old, new)
    return source


def failing_tests(bug: Bug) -> list[str]:
    """Run the bug's tests with the bug applied; return the ids of those that failed.

    Raises RuntimeError when pytest errors out instead of reporting test results.
    """
    path = REPO / bug.path
    original = path.read_text(encoding="utf-8")
    buggy = apply(original, bug)
    try:
        path.write_text(buggy, encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", *bug.tests],
            cwd=REPO, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True, text=True, check=False,
        )
    finally:
        path.write_text(original, encoding="utf-8")
    if run.returncode not in (0, 1):
        raise RuntimeError(f"pytest exited {run.returncode}:\n{run.stdout[-2000:]}{run.stderr}")
    return re.findall(r"^FAILED (\S+)", run.stdout, re.MULTILINE)


def main() -> int:
    survived = 0
    for bug in BUGS:
        print(f"==> bug: {bug.name} ({bug.path})", flush=True)
        try:
            failed = failing_tests(bug)
        except (ValueError, RuntimeError) as exc:
            print(f"    cannot test it: {exc}")
            return 1
        for test in failed:
            print(f"    fails {test}")
        if not failed:
            survived += 1
            print(f"    SURVIVED: every test passed ({', '.join(bug.tests)})")
    print(f"==> {len(BUGS) - survived} of {len(BUGS)} realistic bugs caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
