"""Same seed, same data: a sandbox built now equals the one recorded before its start-up got fast.

The sandbox is the reconciliation oracle, so speeding up its build (issue #19: 1,000,000 lines
under 30 s) must not change one value. ``data/build_digests.json`` holds, for two small
sandboxes started as a user starts them (``exactonline sandbox serve --db ...``): two divisions
of 3,000 lines (the second with an April financial year) built in a single part, and one
division of 50,000 lines (from there on the ledger is built in two parts by forked workers and
merged), a SHA-256

* of the canonical truth of every stream in every division
  (``/_sandbox/truth/{division}/{stream}?form=canonical``, what the oracle compares with), and
* of every table of the database file (rowid order, every column: also what no stream shows,
  such as the pre-rendered JSON and the ledger's internal links), but for ``meta`` and the
  OAuth state kept with ``--db`` (``oauth_*``: tokens and times of this run, not data).

They were recorded from the unoptimised build. When the generated data is meant to change, bump
``exactonline_sandbox.store.SCHEMA_VERSION`` and record again:
``.venv/bin/python -m tests.sandbox.test_data_identity --record``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from exactonline_sandbox import catalog
from exactonline_sandbox.store import SCHEMA_VERSION
from tests.support.oracle import canonical
from tests.support.sandbox import SandboxProcess

RECORDED = Path(__file__).parent / "data" / "build_digests.json"
AS_OF = "2026-06-30"
#: name -> serve options; 50,000 lines is where the ledger is built in two parallel parts.
SANDBOXES = {"one-part": {"seed": 3, "divisions": 2, "rows": 3000},
             "two-parts": {"seed": 3, "divisions": 1, "rows": 50_000}}


def _digest(rows: Any) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def build_digests(options: dict[str, Any], workdir: Path) -> dict[str, dict[str, str]]:
    """Start ``exactonline sandbox serve`` with ``options`` and a fresh ``--db`` in ``workdir``;
    the digests of every stream's canonical truth per division and of every table."""
    db = workdir / "sandbox.sqlite"
    divisions = [3100001 + 17 * i for i in range(options["divisions"])]
    sandbox = SandboxProcess(no_limits=True, as_of=AS_OF, db=str(db), **options)
    sandbox.start(log_dir=workdir, timeout=600)
    try:
        truth = {f"{division}/{stream}": _digest(canonical(sandbox, division, stream))
                 for division in divisions for stream in sorted(catalog.BY_STREAM)}
    finally:
        sandbox.stop()
    tables = {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name <> 'meta' AND name NOT LIKE 'oauth_%' ORDER BY name")]
        for name in names:
            sha = hashlib.sha256()
            for row in conn.execute(f"SELECT rowid, * FROM {name} ORDER BY rowid"):
                sha.update(repr(row).encode())
            tables[name] = sha.hexdigest()
    finally:
        conn.close()
    return {"truth": truth, "tables": tables}


def _differences(want: dict[str, str], got: dict[str, str]) -> list[str]:
    return sorted(name for name in want.keys() | got.keys() if want.get(name) != got.get(name))


@pytest.mark.parametrize("name", sorted(SANDBOXES))
def test_built_data_equals_the_recorded_build(name: str, tmp_path: Path) -> None:
    recorded = json.loads(RECORDED.read_text())
    assert recorded["schema_version"] == SCHEMA_VERSION, (
        "store.SCHEMA_VERSION changed: record the digests of the new data again (module doc)")
    want = recorded["sandboxes"][name]
    assert want["options"] == SANDBOXES[name]
    got = build_digests(SANDBOXES[name], tmp_path)
    assert _differences(want["truth"], got["truth"]) == [], "canonical truth differs"
    assert _differences(want["tables"], got["tables"]) == [], "database tables differ"


def record() -> None:
    """Write ``data/build_digests.json`` from the code as it is now."""
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "as_of": AS_OF, "sandboxes": {}}
    for name, options in SANDBOXES.items():
        with tempfile.TemporaryDirectory() as workdir:
            out["sandboxes"][name] = {"options": options,
                                      **build_digests(options, Path(workdir))}
    RECORDED.parent.mkdir(exist_ok=True)
    RECORDED.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python -m tests.sandbox.test_data_identity --record")
    record()
