"""The tap at Exact's rate limits, against the sandbox with a 1-s "minute" (issue 6).

Each test runs ``tap-exactonline`` as a subprocess and checks what the sandbox saw
(``/_sandbox/stats``) and what the tap wrote (records against ``/_sandbox/truth``, STATE).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.ratelimit.helpers import (
    DIV_A,
    DIV_B,
    advance_clock,
    division_calls,
    ids,
    reset_stats,
    run_tap,
    tap_config,
)
from tests.support.sandbox import SandboxProcess

MINUTELY_LIMIT = 4
SMALL_STREAMS = ["gl_accounts", "gl_classifications", "journals", "currencies", "vat_codes",
                 "cost_centers", "cost_units"]


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """Two divisions, 4 calls per 1-s minute per division."""
    proc = SandboxProcess(seed=5, divisions=2, rows=5000, minute_seconds=1,
                          minutely_limit=MINUTELY_LIMIT, daily_limit=100_000)
    proc.tokens = tmp_path_factory.mktemp("tokens")  # one token store: Exact rotates tokens
    proc.start(log_dir=tmp_path_factory.mktemp("sandbox-limited"))
    yield proc
    proc.stop()


def assert_complete(sandbox: SandboxProcess, result, stream: str, division: int) -> None:
    got = result.records(stream, division)
    truth = sandbox.truth(division, stream)
    assert len(got) == len(truth), f"{stream}/{division}: {len(got)} records, truth {len(truth)}"
    assert ids(got) == ids(truth)


def test_long_sync_finishes_without_a_single_429(limited: SandboxProcess, tmp_path: Path):
    streams = ["transaction_lines", "accounts", *SMALL_STREAMS]
    reset_stats(limited)
    result = run_tap(tmp_path, tap_config(limited, limited.tokens, [DIV_A, DIV_B]), streams)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = limited.stats()
    # the run needed several minutes' worth of calls per division ...
    assert division_calls(stats, DIV_A) > 3 * MINUTELY_LIMIT
    assert division_calls(stats, DIV_B) > 3 * MINUTELY_LIMIT
    # ... and the limiter kept every one of them within the minute
    assert stats["rate_limited"] == 0
    assert stats["statuses"].get("429", 0) == 0
    for division in (DIV_A, DIV_B):
        for stream in ("transaction_lines", "accounts", "gl_accounts"):
            assert_complete(limited, result, stream, division)


def test_429_storm_is_waited_out(limited: SandboxProcess, tmp_path: Path):
    reset_stats(limited)
    limited.faults({"kind": "429", "count": 5,
                    "path_contains": f"/{DIV_A}/sync/Financial/TransactionLines"})
    result = run_tap(tmp_path, tap_config(limited, limited.tokens, [DIV_A]), ["transaction_lines"])
    assert result.returncode == 0, result.stderr[-3000:]
    stats = limited.stats()
    assert stats["faults_injected"] == 5
    assert stats["rate_limited"] == 5  # the injected ones, no real 429 on top
    assert_complete(limited, result, "transaction_lines", DIV_A)


def test_server_errors_resets_and_truncated_bodies_are_retried_without_losing_rows(
    limited: SandboxProcess, tmp_path: Path
):
    reset_stats(limited)
    faults = [
        {"kind": "status", "status": 500, "path_contains": f"/{DIV_A}/sync/Financial/Trans"},
        {"kind": "truncate", "path_contains": f"/{DIV_B}/sync/Financial/Trans"},
        {"kind": "reset", "path_contains": f"/{DIV_A}/sync/CRM/Accounts"},
        {"kind": "status", "status": 503, "path_contains": f"/{DIV_B}/sync/CRM/Accounts"},
    ]
    for fault in faults:
        limited.faults({"count": 1, **fault})
    result = run_tap(tmp_path, tap_config(limited, limited.tokens, [DIV_A, DIV_B]),
                     ["transaction_lines", "accounts"])
    assert result.returncode == 0, result.stderr[-3000:]
    stats = limited.stats()
    assert stats["faults_injected"] == 4
    assert stats["rate_limited"] == 0
    for division in (DIV_A, DIV_B):
        for stream in ("transaction_lines", "accounts"):
            assert_complete(limited, result, stream, division)
            got = ids(result.records(stream, division))
            assert len(got) == len(set(got)), f"{stream}/{division}: duplicate records"


def test_400_is_not_retried(limited: SandboxProcess, tmp_path: Path):
    """A bad query (an unknown field in $select) must not burn Exact's error budget."""
    reset_stats(limited)
    result = run_tap(tmp_path, tap_config(limited, limited.tokens, [DIV_A]),
                     ["gl_accounts", "accounts"],
                     extra_properties={"gl_accounts": {"NoSuchField": {"type": ["null",
                                                                                "string"]}}})
    stats = limited.stats()
    assert stats["statuses"].get("400") == 1
    assert stats["calls"].get(f"/api/v1/{DIV_A}/sync/Financial/GLAccounts") == 1
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines()
              if "gl_accounts" in line and "400" in line and str(DIV_A) in line]
    assert errors, result.stderr[-3000:]
    assert_complete(limited, result, "accounts", DIV_A)  # other streams go on


def test_daily_limit_stops_only_that_division_and_the_next_run_resumes(tmp_path: Path):
    daily = 12
    sandbox = SandboxProcess(seed=9, divisions=2, rows=5500, minute_seconds=1,
                             minutely_limit=100, daily_limit=daily)
    sandbox.start(log_dir=tmp_path)
    try:
        _daily_limit_scenario(sandbox, daily, tmp_path)
    finally:
        sandbox.stop()


def _daily_limit_scenario(sandbox: SandboxProcess, daily: int, tmp_path: Path) -> None:
    # an earlier run used most of division A's allowance for today
    first = run_tap(tmp_path / "run1", tap_config(sandbox, tmp_path, [DIV_A]),
                    SMALL_STREAMS)
    assert first.returncode == 0, first.stderr[-3000:]
    used_a = division_calls(sandbox.stats(), DIV_A)
    truth_a = sandbox.truth(DIV_A, "transaction_lines")
    pages = math.ceil(len(truth_a) / 1000)  # calls a full sync needs at least
    assert 0 < daily - used_a < pages <= daily, (used_a, pages)

    second = run_tap(tmp_path / "run2", tap_config(sandbox, tmp_path, [DIV_A, DIV_B]),
                     ["transaction_lines"])
    assert second.returncode == 0, second.stderr[-3000:]
    assert sandbox.stats()["rate_limited"] == 0  # stopped before Exact had to refuse
    # division B was read completely, division A up to its limit
    assert_complete(sandbox, second, "transaction_lines", DIV_B)
    got_a = second.records("transaction_lines", DIV_A)
    assert 0 < len(got_a) < len(truth_a)
    warnings = [line for line in second.log_lines("WARNING") if "daily" in line.lower()]
    assert len(warnings) == 1, second.stderr[-3000:]
    assert str(DIV_A) in warnings[0]
    assert str(DIV_B) not in warnings[0]
    state = second.last_state()
    assert state is not None
    assert str(DIV_A) in str(state)

    # the next day the next run resumes where division A stopped
    advance_clock(sandbox, 86_400)
    third = run_tap(tmp_path / "run3", tap_config(sandbox, tmp_path, [DIV_A, DIV_B]),
                    ["transaction_lines"], state=state)
    assert third.returncode == 0, third.stderr[-3000:]
    rest_a = third.records("transaction_lines", DIV_A)
    assert len(rest_a) < len(truth_a)  # resumed, not started over
    assert sorted(ids(got_a) + ids(rest_a)) == ids(truth_a)
    assert third.records("transaction_lines", DIV_B) == []


def test_two_runs_sharing_a_division_both_finish(limited: SandboxProcess, tmp_path: Path):
    """Two processes of one app share the division's minute (e.g. a webhook-triggered run
    during the scheduled one): each paces by the headers, waits out the 429s the other one
    causes, and both deliver every row."""
    reset_stats(limited)
    procs = []
    for name in ("first", "second"):
        workdir = tmp_path / name
        workdir.mkdir()
        config = tap_config(limited, limited.tokens, [DIV_A])  # one app, one token store
        procs.append((workdir, config))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(
            lambda wc: run_tap(wc[0], wc[1], ["transaction_lines", "accounts"]), procs))
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
        assert_complete(limited, result, "transaction_lines", DIV_A)
        assert_complete(limited, result, "accounts", DIV_A)


def test_daily_limit_while_listing_divisions_warns_once_and_exits_0(tmp_path: Path):
    """all_divisions: when the division that lists system/Divisions has no calls left today,
    the run says so in one WARNING and ends cleanly instead of crashing."""
    sandbox = SandboxProcess(seed=9, divisions=2, rows=1000, daily_limit=1)
    sandbox.start(log_dir=tmp_path)
    try:
        config = tap_config(sandbox, tmp_path, [])
        config["all_divisions"] = True
        # Use up the first division's single call of the day.
        assert run_tap(tmp_path / "use", {**config, "divisions": [DIV_A]},
                       ["gl_classifications"]).returncode == 0
        result = run_tap(tmp_path / "list", config, ["gl_classifications"])
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        warnings = [line for line in result.log_lines("WARNING") if "daily API limit" in line]
        assert len(warnings) == 1, result.stderr[-3000:]
        assert str(DIV_A) in warnings[0]
        assert result.records("gl_classifications") == []
    finally:
        sandbox.stop()
