"""Rotation under stress against the real sandbox: many cycles, concurrent runs, kill -9."""

from __future__ import annotations

import json
import logging
import os
import random
import select
import signal
import subprocess
import time

import pytest
import requests

from tap_exactonline.auth import ExactOnlineAuthenticator
from tests.oauth.helpers import (
    advance_clock,
    driver_command,
    fresh_refresh_token,
    read_store,
    run_cli,
    run_driver,
    write_config,
)

pytestmark = pytest.mark.reliability


def _get_me(auth: ExactOnlineAuthenticator, session: requests.Session) -> None:
    """One API call the way the tap makes it (401 -> handle_unauthorized -> one retry)."""
    url = f"{auth.base_url}/api/v1/current/Me"
    resp = session.get(url, auth=auth, timeout=30)
    if resp.status_code == 401:
        auth.handle_unauthorized(resp.request)
        resp = session.get(url, auth=auth, timeout=30)
    assert resp.status_code == 200, resp.status_code


def test_100_refresh_cycles_with_rotation_never_need_reauthorization(start_sandbox, tmp_path):
    """Exact's 600 s tokens; the sandbox clock jumps 600 s per cycle. Even cycles refresh
    ahead of expiry (our clock jumps too), odd cycles through the API's 401; every 10th cycle
    is a new run (new authenticator on the same store)."""
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox)
    settings = json.loads(config.read_text())
    offset = [0.0]

    def new_run() -> ExactOnlineAuthenticator:
        return ExactOnlineAuthenticator.from_settings(
            settings, logger=logging.getLogger("test.cycles"),
            time_func=lambda: time.time() + offset[0])

    session = requests.Session()
    auth = new_run()
    _get_me(auth, session)
    refresh_tokens = {read_store(config).refresh_token}
    for cycle in range(100):
        advance_clock(sandbox, 600)
        if cycle % 2 == 0:
            offset[0] += 600
        if cycle % 10 == 0:
            auth = new_run()
        _get_me(auth, session)
        refresh_tokens.add(read_store(config).refresh_token)
    stats = sandbox.stats()
    assert len(refresh_tokens) == 101  # rotated every cycle, each new one persisted
    assert stats["token_grants"] == stats["token_calls"] == 101


def test_old_refresh_token_warns_once_after_25_days(start_sandbox, tmp_path, caplog):
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox)
    assert run_cli(config, "auth", "refresh").returncode == 0
    advance_clock(sandbox, 26 * 86400)
    settings = json.loads(config.read_text())
    auth = ExactOnlineAuthenticator.from_settings(
        settings, logger=logging.getLogger("test.age"),
        time_func=lambda: time.time() + 26 * 86400)
    session = requests.Session()
    with caplog.at_level(logging.WARNING, logger="test.age"):
        _get_me(auth, session)
        _get_me(auth, session)
    warnings = [r.getMessage() for r in caplog.records if "days old unused" in r.getMessage()]
    assert len(warnings) == 1
    assert "exactonline auth refresh" in warnings[0]


@pytest.mark.parametrize("backend", ["file", "sqlite"])
def test_four_concurrent_runs_share_one_store(start_sandbox, tmp_path, backend):
    """4 runs start together on an empty store with 2 s access tokens and call the API for
    6 s: only one redeems the seed, nobody's refresh token is rejected, and the token endpoint
    is called no more often than one access-token lifetime (95% of 2 s) requires."""
    sandbox = start_sandbox(access_token_seconds=2)
    store = str(tmp_path / "store" / "t.fernet") if backend == "file" else (
        f"sqlite:///{tmp_path}/tokens.db")
    config = write_config(tmp_path, sandbox, token_store_path=store)
    started = time.monotonic()
    procs = [subprocess.Popen(
        driver_command(config, seconds=6, interval=0.1), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=tmp_path) for _ in range(4)]
    results = [proc.communicate(timeout=120) for proc in procs]
    elapsed = time.monotonic() - started
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.splitlines()[-1].startswith("ok ")
    stats = sandbox.stats()
    assert stats["token_calls"] == stats["token_grants"]  # no rejected or refused call
    assert stats["token_calls"] <= elapsed / (0.95 * 2) + 1
    assert stats["calls"]["/api/v1/current/Me"] >= 4 * 6 / 0.5


def _killed_inside_a_token_call(stderr: str) -> bool:
    """True when the run's last token call had no "saved" line after it (DEBUG markers)."""
    lines = stderr.splitlines()
    calls = [i for i, line in enumerate(lines) if "token endpoint call" in line]
    if not calls:
        return False
    return not any("saved in the token store" in line for line in lines[calls[-1]:])


def test_kill_9_at_random_moments_never_strands_the_next_run(start_sandbox, tmp_path):
    """30 runs with 1 s access tokens, each killed with SIGKILL at a random moment (often
    mid-refresh); the run after each still works without a new authorization.

    The narrowest window is a kill after Exact rotated the refresh token but before its answer
    reached the store. Real Exact keeps the previous refresh token usable until its successor
    is first used (fact sheet §2, "Nuance"), and so does the sandbox, so the stored token
    still works then: no run may be stranded.
    """
    sandbox = start_sandbox(access_token_seconds=1)
    config = write_config(tmp_path, sandbox)
    rng = random.Random(int(os.environ.get("OAUTH_KILL_SEED", "4")))
    killed = in_window = stranded = 0
    for _ in range(30):
        proc = subprocess.Popen(
            driver_command(config, seconds=1.0, interval=0.02, log_level="DEBUG"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        assert proc.stdout is not None
        # The kill lands at a random moment of the driver's work, however long its start
        # takes on a loaded machine (it prints "started" once it has imported everything).
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready
        assert proc.stdout.readline().startswith("started")
        try:
            proc.wait(timeout=rng.uniform(0.0, 1.2))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, -signal.SIGKILL), err[-2000:]
        if proc.returncode == -signal.SIGKILL and _killed_inside_a_token_call(err):
            in_window += 1
            probe = run_driver(config)
            if probe.returncode != 0:
                assert "Old refresh token used" in probe.stderr, probe.stderr[-2000:]
                stranded += 1
                config = write_config(tmp_path, sandbox,
                                      refresh_token=fresh_refresh_token(sandbox))
    print(f"killed {killed}, inside a token call {in_window}, stranded by strict sandbox "
          f"rotation {stranded}")
    assert killed >= 15
    assert stranded == 0
    final = run_driver(config, seconds=1.5, interval=0.05)
    assert final.returncode == 0, final.stderr
    assert final.stdout.splitlines()[-1].startswith("ok ")
    assert sandbox.stats()["token_grants"] >= 10  # the kills did land among refreshes


def test_access_token_not_expired_answer_keeps_the_current_token(start_sandbox, tmp_path,
                                                                 caplog):
    """Another client of the same app got a token 300 s after ours, so our refresh at 580 s
    is refused ("Rate limit exceeded: access_token not expired"): the run carries on with its
    still-valid access token and does not retry the token endpoint on every request."""
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox)
    settings = json.loads(config.read_text())
    offset = [0.0]

    def wait(seconds: float) -> None:  # the run's waits move both clocks instead of sleeping
        advance_clock(sandbox, seconds)
        offset[0] += seconds

    auth = ExactOnlineAuthenticator.from_settings(
        settings, logger=logging.getLogger("test.early"),
        time_func=lambda: time.time() + offset[0], sleep_func=wait)
    session = requests.Session()
    _get_me(auth, session)
    advance_clock(sandbox, 300)
    fresh_refresh_token(sandbox)  # the other client's authorization-code grant
    advance_clock(sandbox, 280)
    offset[0] += 580
    before = read_store(config)
    _get_me(auth, session)
    _get_me(auth, session)
    stats = sandbox.stats()
    assert stats["token_calls"] == 3  # seed, the other client's code, our refused refresh
    assert stats["token_grants"] == 2
    assert stats["statuses"].get("401", 0) == 1  # only the refused token call
    assert read_store(config) == before
    # 30 s later our token has expired and Exact still refuses a new one: the run waits for
    # the 570-s rule once (saying so) and goes on with a new token; no login, no error.
    advance_clock(sandbox, 30)
    offset[0] += 30
    with caplog.at_level(logging.WARNING, logger="test.early"):
        _get_me(auth, session)
    waits = [r.getMessage() for r in caplog.records if "570-s rule" in r.getMessage()]
    assert len(waits) == 1, waits
    assert "another client of this app" in waits[0]
    stats = sandbox.stats()
    assert stats["token_calls"] == 5  # + one refused, + one granted after the wait
    assert stats["token_grants"] == 3
    assert read_store(config).refresh_token != before.refresh_token
