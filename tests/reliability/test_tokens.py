"""Token answers that never arrive, and API 401s that keep coming (issue items 3 and 4).

Exact keeps a refresh token it rotated usable for 10 minutes while its successor is unused,
and refuses a new access token for 570 s after the last grant (fact sheet §2). A token call
whose answer is lost (connection reset or truncated body after Exact rotated the token, or a
run killed in between) leaves the stored refresh token usable only between 570 s and 10
minutes after that call: the tap must refresh in that window, by itself.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
import requests

from tap_exactonline.auth import ExactOnlineAuthenticator
from tap_exactonline.tokenstore import open_token_store
from tests.oauth.helpers import advance_clock, read_store, run_cli, write_config
from tests.reliability.harness import Ledger, TapRun, one_line_error, run_tap
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.reliability
TOKEN_PATH = "/api/oauth2/token"


class Clocks:
    """The run's clock and the sandbox clock, moved together by the run's waits."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox
        self.offset = 0.0
        self.waits: list[float] = []

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        advance_clock(self.sandbox, seconds)
        self.offset += seconds

    def wait(self, seconds: float) -> None:  # the authenticator's sleep_func
        self.waits.append(seconds)
        self.advance(seconds)

    def authenticator(self, config: Path) -> ExactOnlineAuthenticator:
        settings = json.loads(config.read_text())
        return ExactOnlineAuthenticator.from_settings(
            settings, logger=logging.getLogger("test.tokens"), time_func=self.now,
            sleep_func=self.wait)


def get_me(auth: ExactOnlineAuthenticator) -> None:
    """One API call as the tap makes it (a 401 re-authorizes once)."""
    url = f"{auth.base_url}/api/v1/current/Me"
    resp = requests.get(url, auth=auth, timeout=30)
    if resp.status_code == 401:
        auth.handle_unauthorized(resp.request)
        resp = requests.get(url, auth=auth, timeout=30)
    assert resp.status_code == 200, resp.status_code


def test_a_truncated_token_answer_is_recovered_in_exacts_window(
    start_sandbox, tmp_path: Path, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    """Exact rotates, the answer breaks off: the run waits for the 570-s rule (sandbox clock),
    refreshes with the stored token once more, and a run 11 minutes later needs no login."""
    sandbox = start_sandbox(rows=20)
    clocks = Clocks(sandbox)
    config = write_config(tmp_path, sandbox)
    auth = clocks.authenticator(config)
    get_me(auth)  # the seed is redeemed: grant 1
    clocks.advance(580)  # the access token is due for its refresh
    sandbox.faults({"kind": "truncate", "count": 1, "path_contains": TOKEN_PATH})
    with caplog.at_level(logging.WARNING, logger="test.tokens"):
        get_me(auth)
    stats = sandbox.stats()
    assert stats["token_grants"] == 3, stats  # seed, the lost one, the one after the wait
    waits = [r.getMessage() for r in caplog.records if "never arrived" in r.getMessage()]
    assert len(waits) == 1, [r.getMessage() for r in caplog.records]
    assert 560 < sum(clocks.waits) < 600, clocks.waits
    assert read_store(config).refresh_call_started_at is None
    clocks.advance(11 * 60)  # past the 10 minutes a rotated refresh token stays usable
    later = clocks.authenticator(config)
    relogin = 0
    try:
        get_me(later)
    except Exception:
        relogin = 1
        raise
    finally:
        ledger.add("token answer lost (truncated, reset, killed)", runs=2,
                   runs_needing_re_login=relogin)


def test_a_run_killed_inside_a_token_call_is_recovered_by_the_next(
    start_sandbox, tmp_path: Path, ledger: Ledger
) -> None:
    """A run was killed after Exact rotated the refresh token and before the answer was
    saved: the store holds the old token and the marker written before the call. The next
    run comes at once, with the access token expired: it waits for the 570-s rule instead of
    giving up ("run again in 10 minutes"), then "run exactonline auth login" later."""
    sandbox = start_sandbox(rows=20)
    clocks = Clocks(sandbox)
    config = write_config(tmp_path, sandbox)
    get_me(clocks.authenticator(config))
    clocks.advance(601)  # the access token has expired
    settings = json.loads(config.read_text())
    store = open_token_store(
        client_id=settings["client_id"], client_secret=settings["client_secret"],
        base_url=settings["base_url"], token_store_path=settings["token_store_path"],
        token_store_key=settings["token_store_key"])
    with store.transaction() as tx:  # what the killed run saved before its token call ...
        record = tx.load()
        assert record is not None
        from dataclasses import replace

        tx.save(replace(record, refresh_call_started_at=clocks.now()))
    granted = requests.post(f"{sandbox.url}{TOKEN_PATH}", data={  # ... and the call itself
        "grant_type": "refresh_token", "refresh_token": record.refresh_token,
        "client_id": settings["client_id"], "client_secret": settings["client_secret"]},
        timeout=30)
    assert granted.status_code == 200
    nxt = clocks.authenticator(config)
    get_me(nxt)
    assert 560 < sum(clocks.waits) < 600, clocks.waits
    clocks.advance(11 * 60)
    get_me(clocks.authenticator(config))
    ledger.add("token answer lost (truncated, reset, killed)", runs=2)
    assert sandbox.stats()["token_grants"] == 4  # seed, killed run's, after the wait, later


def _slow_currencies(start_sandbox, tmp_path: Path, ledger: Ledger,
                     stalls: int) -> tuple[SandboxProcess, int, TapRun]:
    """Read currencies with 3 s access tokens while ``stalls`` answers take 3.6 s each (the
    token expires during each of them: a 401)."""
    sandbox = start_sandbox(divisions=1, rows=50, access_token_seconds=3)
    division = requests.get(f"{sandbox.url}/_sandbox/divisions", timeout=30).json()["current"]
    sandbox.faults({"kind": "stall", "seconds": 3.6, "count": stalls,
                    "path_contains": "general/Currencies"})
    config = sandbox.tap_config(seed=True, divisions=[division],
                                token_store_path=str(tmp_path / "t.fernet"),
                                token_store_key="second 401 test key")
    result = run_tap(tmp_path / "run", config, streams={"currencies"})
    ledger.add("API 401 again on the same request", runs=1,
               tracebacks=int(result.outcome.traceback))
    return sandbox, division, result


def test_a_second_401_on_the_same_request_reauthorizes_again(
    start_sandbox, tmp_path: Path, ledger: Ledger
) -> None:
    """Two slow answers outlive their access tokens: each 401 gets a new token and the call
    is made again; the stream arrives whole, exit 0."""
    sandbox, division, result = _slow_currencies(start_sandbox, tmp_path, ledger, stalls=2)
    assert result.outcome.returncode == 0, result.outcome.stderr[-2000:]
    assert len(result.records["currencies"]) == len(sandbox.truth(division, "currencies"))
    stats = sandbox.stats()
    assert stats["statuses"].get("401") == 2, stats["statuses"]
    assert stats["token_grants"] == 3


@pytest.mark.slow
def test_401s_to_every_new_token_end_with_one_line_saying_why(
    start_sandbox, tmp_path: Path, ledger: Ledger
) -> None:
    _, division, result = _slow_currencies(start_sandbox, tmp_path, ledger, stalls=6)
    line = one_line_error(result.outcome)
    assert "401 Unauthorized to 4 access tokens in a row" in line
    assert f"division {division}" in line


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["truncate", "reset"])
def test_auth_refresh_survives_a_lost_answer(start_sandbox, tmp_path: Path, ledger: Ledger,
                                            kind: str) -> None:
    """`exactonline auth refresh` (a real process, 6 s tokens): the answer breaks off or the
    connection resets; the command recovers and the next run after 11 minutes works."""
    sandbox = start_sandbox(rows=20, access_token_seconds=6)
    config = write_config(tmp_path, sandbox)
    assert run_cli(config, "auth", "refresh").returncode == 0
    time.sleep(6)
    sandbox.faults({"kind": kind, "count": 1, "path_contains": TOKEN_PATH})
    refreshed = run_cli(config, "auth", "refresh", timeout=120)
    assert refreshed.returncode == 0, refreshed.stderr
    assert "Refreshed" in refreshed.stdout
    advance_clock(sandbox, 11 * 60)
    later = run_cli(config, "auth", "status")  # an API call: 401, refresh, call again
    ledger.add("token answer lost (truncated, reset, killed)", runs=3,
               runs_needing_re_login=int("auth login" in later.stderr),
               tracebacks=int("Traceback" in refreshed.stderr + later.stderr))
    assert later.returncode == 0, later.stderr
    assert "Current division" in later.stdout
