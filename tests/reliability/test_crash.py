"""kill -9 of ``meltano run tap-exactonline target-duckdb`` loses no row (issue item 2), and the
config files a killed run leaves behind are private (item 10).

target-duckdb 0.8.0 treats the first STATE it receives as flushed. The tap therefore emits the
incoming STATE (``{"bookmarks": {}}`` on a first run) before its first RECORD; a STATE that
comes after records would later be forwarded with a flush of another stream while those records
were still in memory, and a kill then loses them for good.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import missing_plugins
from tests.reliability.harness import Ledger, Pipeline, kill_group, readable_by_others

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(1800)]
ZERO = {"rows_lost": 0, "rows_doubled": 0, "stale_rows": 0}


@pytest.fixture(autouse=True)
def _plugins() -> None:
    missing = missing_plugins()
    if missing:
        pytest.skip(f"Meltano plugins not installed ({', '.join(missing)}): make meltano-install")


def saved_state(work: Path) -> dict | None:
    """The STATE Meltano saved so far for the run (None before the first with bookmarks).

    Meltano writes each STATE the target emits as it comes (``partial_state`` or
    ``completed_state`` of table ``state``).
    """
    db = work / "meltano.db"
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            row = con.execute("SELECT partial_state, completed_state FROM state").fetchone()
    except sqlite3.Error:
        return None
    for text in row or ():
        state = json.loads(text) if text else None
        if state and state.get("singer_state", {}).get("bookmarks"):
            return state
    return None


def test_kill_9_right_after_the_first_saved_state_loses_no_row(
    start_sandbox, tmp_path: Path, ledger: Ledger
) -> None:
    """The most exposed moment: Meltano has saved the target's first STATE with a bookmark
    while rows of a small stream read before (gl_classifications, 20 rows, under the batch
    size) are still in the target's memory; a big stream (sales_invoices) flushes first.
    The killed run's config files, left behind with the client secret, are private."""
    sandbox = start_sandbox(rows=200)
    pipe = Pipeline(sandbox, tmp_path / "work",
                    streams=["gl_classifications", "sales_invoices", "payments", "journals"])
    proc = pipe.start()
    deadline = time.monotonic() + 300
    while saved_state(pipe.work) is None:
        assert proc.poll() is None, "the run ended before Meltano saved a partial STATE"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    kill_group(proc)
    # Meltano's config files of the killed run (client secret, store key) stay behind; under
    # the project's umask 077 (item 10) nobody else can read them.
    configs = list((pipe.work / "meltano-sys" / "run").rglob("*.config.json"))
    assert configs, "no config file left behind to look at"
    assert all(stat.S_IMODE(c.stat().st_mode) & 0o077 == 0 for c in configs), configs
    leftovers = readable_by_others(pipe.work, pipe.secrets)
    rerun = pipe.run(force=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    counts = pipe.judge()
    ledger.add("kill -9 of meltano run (first saved STATE)", runs=2, **counts,
               secrets_found=len(leftovers))
    assert counts == ZERO, "\n".join(pipe.problems)
    assert not leftovers, f"files another user can read hold secrets: {leftovers}"


def test_entry_points_set_umask_077() -> None:
    """The Makefile's targets that run Meltano or the tests, and the demo, use umask 077."""
    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text()
    assert "UMASK  := umask 077 &&" in makefile
    for target in ("demo", "test", "bench", "chaos"):
        recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
        programs = [line for line in recipe.splitlines()[1:]
                    if line.startswith("\t") and "$(BIN)" in line]
        assert programs, target
        assert all("$(UMASK)" in line for line in programs), target
    assert "os.umask(0o077)" in (root / "scripts" / "demo.py").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("only_tap", [False, True], ids=["whole-run", "tap-only"])
def test_kill_9_at_random_moments_loses_no_row(
    start_sandbox, tmp_path: Path, ledger: Ledger, only_tap: bool
) -> None:
    """15 kills (whole process group, or the tap alone) at random moments, changes in the
    sandbox between runs, a rerun with --force after each: every table equals the truth."""
    sandbox = start_sandbox(rows=400)
    pipe = Pipeline(sandbox, tmp_path / "work", streams=KILL_STREAMS)
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "11")) + only_tap)
    kind = f"kill -9 of {'the tap in' if only_tap else 'the whole'} meltano run"
    first = pipe.run()
    assert first.returncode == 0, first.stderr[-3000:]
    span = max(5.0, pipe_seconds(pipe))
    deleted: set[tuple[str, tuple]] = set()
    for kill in range(15):
        deleted |= change_sandbox(pipe, rng)
        pipe.kill_after(rng.uniform(1.0, span), force=True, only_tap=only_tap)
        leftovers = readable_by_others(pipe.work, pipe.secrets)
        rerun = pipe.run(force=True)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        counts = pipe.judge(deleted=deleted)
        ledger.add(kind, runs=2, **counts, secrets_found=len(leftovers),
                   runs_needing_re_login=int(rerun.needs_login()),
                   tracebacks=int("Traceback" in rerun.stderr))
        assert counts == ZERO, f"after kill {kill + 1}: " + "\n".join(pipe.problems)
        assert not leftovers
    ledger.note(kind, f"15 kills at random moments up to {span:.0f} s into a run of "
                f"{len(KILL_STREAMS)} streams (every family), each after sandbox changes and "
                "followed by a rerun with --force; batch size 37 rows")


def pipe_seconds(pipe: Pipeline) -> float:
    """Seconds the last run took (from its log's first and last line times)."""
    lines = [json.loads(line) for line in
             (pipe.work / f"meltano-{pipe.count}.log").read_text().splitlines()
             if line.startswith("{") and '"timestamp"' in line]
    if len(lines) < 2:
        return 30.0
    from datetime import datetime

    start = datetime.fromisoformat(lines[0]["timestamp"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(lines[-1]["timestamp"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


#: Every family: sync (with sync/Deleted), Modified, lines through $expand, full table.
KILL_STREAMS = ["transaction_lines", "gl_accounts", "sales_invoices", "accounts", "contacts",
                "time_cost_transactions", "deleted", "payments", "purchase_invoices",
                "purchase_entries", "purchase_entry_lines", "general_journal_entries",
                "journals", "currencies"]
CHANGES = [("accounts", "create", 2), ("accounts", "update", 2), ("contacts", "delete", 1),
           ("sales_invoices", "create", 1), ("sales_invoices", "update", 1),
           ("transaction_lines", "update", 2), ("general_journal_entries", "create", 1),
           ("payments", "update", 2), ("purchase_invoices", "update", 1),
           ("time_cost_transactions", "delete", 1)]


def change_sandbox(pipe: Pipeline, rng: random.Random) -> set[tuple[str, tuple]]:
    """Creates, updates and deletes in every family; returns the deleted ``(stream, key)``."""
    deleted: set[tuple[str, tuple]] = set()
    for division in pipe.divisions():
        for stream, action, count in rng.sample(CHANGES, 4):
            answer = pipe.sandbox.mutate(
                {"division": division, "stream": stream, "action": action, "count": count})
            for change in answer["changed"]:
                if change["action"] == "delete":
                    deleted.add((change["stream"], (division, str(change["ID"]).lower())))
    return deleted
