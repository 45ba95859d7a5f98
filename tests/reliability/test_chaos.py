"""The long matrix of ``make chaos`` (marker slow): fault runs through Meltano into DuckDB with
changes between and during runs, and concurrent runs on one token store.

The kills are in test_crash.py, the bad-input matrix in test_inputs.py and test_pages.py,
lost token answers in test_tokens.py; all of them add to the figures of docs/reliability.md.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import (
    Ledger,
    Outcome,
    Pipeline,
    catalog_for,
    secrets_in,
    store_tokens,
    tap_executable,
)
from tests.reliability.test_crash import change_sandbox
from tests.support.oracle import expected_by_key, key_of

pytestmark = [pytest.mark.reliability, pytest.mark.slow, pytest.mark.timeout(7200)]
ZERO = {"rows_lost": 0, "rows_doubled": 0, "stale_rows": 0}

#: Faults queued before a run (each applies to the next ``count`` API calls). Counts stay
#: within what the tap retries (8 tries with backoff; 429s are waited out).
FAULTS: dict[str, list[dict[str, Any]]] = {
    "5xx": [{"kind": "status", "status": 500, "count": 3}],
    "503 HTML": [{"kind": "status", "status": 503, "count": 3}],
    "resets": [{"kind": "reset", "count": 3}],
    "truncated bodies": [{"kind": "truncate", "count": 3}],
    "stalls": [{"kind": "stall", "seconds": 4, "count": 3}],
    # on division calls: Exact counts and limits only those (a 429 there carries the reset)
    "429 storm": [{"kind": "429", "count": 12, "path_contains": "/api/v1/3"}],
    "lost token answer": [{"kind": "truncate", "count": 1, "path_contains": "/api/oauth2/token"}],
    "malformed pages": [{"kind": "rewrite", "count": 2, "path_contains": "sync/",
                         "rewrite": {"row": 0, "set": {"Timestamp": None}}},
                        {"kind": "rewrite", "count": 1, "path_contains": "bulk/",
                         "rewrite": {"json": {"d": {"results": None}}}}],
    "combination": [{"kind": "status", "status": 500, "count": 2}, {"kind": "reset", "count": 1},
                    {"kind": "429", "count": 5, "path_contains": "/api/v1/3"},
                    {"kind": "truncate", "count": 1}],
    "combination with stalls": [{"kind": "stall", "seconds": 3, "count": 2},
                                {"kind": "status", "status": 503, "count": 2},
                                {"kind": "truncate", "count": 2}],
}


def _mutate_during(pipe: Pipeline, rng: random.Random, changed: set, stop: threading.Event,
                   delay: float) -> None:
    """While a run reads: update rows of every family (judged after the next run)."""
    if stop.wait(delay):
        return
    for division in pipe.divisions():
        for stream in ("payments", "purchase_invoices", "accounts", "transaction_lines"):
            answer = pipe.sandbox.mutate({"division": division, "stream": stream,
                                          "action": "update", "count": 2})
            for change in answer["changed"]:
                changed.add((change["stream"], (division, str(change["ID"]).lower())))


def test_fault_runs_through_meltano_lose_nothing(start_sandbox, tmp_path: Path,
                                                 ledger: Ledger) -> None:
    """22 runs of the whole catalog, each after sandbox changes and with faults queued, half
    of them with more changes while the run reads; after each run every table is compared
    with the truth (rows changed during a run are judged after the next one)."""
    # 2-s rate-limit windows: an injected 429 is waited out in seconds, not a minute
    sandbox = start_sandbox(rows=300, access_token_seconds=40, minute_seconds=2)
    pipe = Pipeline(sandbox, tmp_path / "work")
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "11")))
    first = pipe.run()
    assert first.returncode == 0, first.stderr[-3000:]
    deleted: set = set()
    changing: set = set()
    names = list(FAULTS)
    for number in range(22):
        deleted |= change_sandbox(pipe, rng)
        chosen = names[number % len(names)] if number < len(names) else rng.choice(names)
        for fault in FAULTS[chosen]:
            sandbox.faults(fault)
        during: set = set()
        stop = threading.Event()
        mutator = None
        if number % 2:
            sandbox.faults({"kind": "stall", "seconds": 3, "count": 2, "path_contains": "bulk/"})
            mutator = threading.Thread(target=_mutate_during, daemon=True, args=(
                pipe, rng, during, stop, rng.uniform(2, 20)))
            mutator.start()
        before = pipe.truth() if mutator else {}
        outcome = pipe.run(timeout=900)
        stop.set()
        if mutator:
            mutator.join(timeout=120)
            # Every row whose truth moved while the run read is judged after the next run,
            # not only the rows the mutation answer names: the sandbox also changes rows on
            # its own (an entry's Modified, the open-item lists) as Exact does.
            moved = Pipeline.changed_between(before, pipe.truth())
            ledger.note("fault runs through Meltano into DuckDB",
                        f"run {number + 1}: {len(during)} rows named by the mutations, "
                        f"{len(moved)} rows whose truth changed while the run read")
            during |= moved
        sandbox.faults({"clear": True})
        counts = pipe.judge(deleted=deleted, changing=during) if outcome.returncode == 0 else {}
        secrets = secrets_in([outcome.stderr], pipe.secrets)
        ledger.add("fault runs through Meltano into DuckDB", runs=1, **counts,
                   runs_needing_re_login=int(outcome.needs_login()),
                   tracebacks=int(outcome.traceback), secrets_found=secrets)
        ledger.note("fault runs through Meltano into DuckDB",
                    f"run {number + 1}: {chosen}{' + changes while reading' if during else ''}"
                    f" -> exit {outcome.returncode}")
        assert outcome.returncode == 0, f"run {number + 1} ({chosen}):\n{outcome.stderr[-3000:]}"
        assert counts == ZERO, f"run {number + 1} ({chosen}): " + "\n".join(pipe.problems)
        assert not secrets
        changing = during
    final = pipe.run()
    assert final.returncode == 0
    counts = pipe.judge(deleted=deleted)
    ledger.add("fault runs through Meltano into DuckDB", runs=1, **counts)
    assert counts == ZERO, "after the last run: " + "\n".join(pipe.problems)
    assert changing is not None


def _concurrent_round(sandbox, config: dict[str, Any], work: Path, streams: set[str],
                      runs: int = 4) -> list[Outcome]:
    import json

    work.mkdir(parents=True, exist_ok=True)
    (work / "config.json").write_text(json.dumps(config))
    (work / "catalog.json").write_text(json.dumps(catalog_for(streams)))
    procs = [subprocess.Popen(
        [tap_executable(), "--config", str(work / "config.json"), "--catalog",
         str(work / "catalog.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=work) for _ in range(runs)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        outcomes.append(Outcome(proc.returncode, out, err))
    return outcomes


@pytest.mark.parametrize("backend", ["file", "sqlite"])
def test_concurrent_runs_on_one_token_store(start_sandbox, tmp_path: Path, ledger: Ledger,
                                            backend: str) -> None:
    """5 rounds of 4 tap runs started together on one token store, with 8 s access tokens
    (refreshes race each other): every run completes with every row, none needs a login."""
    import json

    sandbox = start_sandbox(rows=200, access_token_seconds=8)
    store = (str(tmp_path / "store" / "t.fernet") if backend == "file"
             else f"sqlite:///{tmp_path}/tokens.db")
    config = sandbox.tap_config(seed=True, token_store_path=store,
                                token_store_key="concurrency test key", all_divisions=True)
    streams = {"gl_accounts", "accounts", "payments", "currencies"}
    divisions = [3100001, 3100018]
    kind = f"concurrent runs on one token store ({backend})"
    for round_number in range(5):
        outcomes = _concurrent_round(sandbox, config, tmp_path / f"round{round_number}", streams)
        secrets = [config["client_secret"], config["refresh_token"], config["token_store_key"],
                   *store_tokens(config)]
        for outcome in outcomes:
            records: dict[str, list] = {}
            for line in outcome.stdout.splitlines():
                message = json.loads(line)
                if message["type"] == "RECORD":
                    records.setdefault(message["stream"], []).append(message["record"])
            lost = 0
            for stream in streams:
                want = expected_by_key(sandbox, divisions, stream)
                got = {key_of(stream, r) for r in records.get(stream, [])}
                lost += len(set(want) - got)
            ledger.add(kind, runs=1, rows_lost=lost,
                       runs_needing_re_login=int(outcome.needs_login()),
                       tracebacks=int(outcome.traceback),
                       secrets_found=secrets_in([outcome.stderr], secrets))
            assert outcome.returncode == 0, outcome.stderr[-3000:]
            assert lost == 0
        time.sleep(8)  # the next round starts with an expired token: all four want one
    stats = sandbox.stats()
    ledger.note(kind, f"5 rounds of 4 runs: {stats['token_calls']} token calls, "
                f"{stats['token_grants']} grants")
    assert stats["token_calls"] == stats["token_grants"]  # no refused or rejected token call
