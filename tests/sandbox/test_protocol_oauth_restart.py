"""A restarted sandbox with the same ``--db`` remembers every login (issue 12 item 10, #19).

Each test starts ``exactonline sandbox serve --db FILE``, does OAuth over HTTP, stops the
process (SIGTERM, as a user's Ctrl-C), starts a new one on the same file and checks that the
second process answers as the first would have: the refresh-token chain (current token valid,
rotated ones refused), an issued code, the time of the last grant (the 570-second rule), the
access token and the day's token-call count.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from tests.sandbox.protocol_support import DIV_A, SMALL, api, refresh, token_call
from tests.support.sandbox import CLIENT_ID, REFRESH_TOKEN_SEED, SandboxProcess

REDIRECT = "http://localhost:18999/callback"


def _restart(first: SandboxProcess, tmp_path: Path, **options: object) -> SandboxProcess:
    """Stop ``first`` and start a new process with the same options (and --db) on a new port."""
    first.stop()
    return SandboxProcess(**{**first.options, **options}).start(log_dir=tmp_path)


def _authorize(sb: SandboxProcess) -> str:
    resp = requests.get(
        f"{sb.url}/api/oauth2/auth",
        params={"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
                "state": "s"},
        allow_redirects=False, timeout=10,
    )
    assert resp.status_code == 302, resp.text
    return parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]


def test_refresh_token_chain_and_grant_time_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite"
    first = SandboxProcess(**SMALL, db=db).start(log_dir=tmp_path)
    try:
        one = refresh(first)
        assert one.status_code == 200, one.text
        tokens = one.json()
    finally:
        first.stop()

    second = _restart(first, tmp_path)
    try:
        # The access token issued before the restart still opens the API.
        me = api(second, tokens["access_token"], "/api/v1/current/Me")
        assert me.status_code == 200, me.text
        # The grant time survived: a refresh within 95 % of the lifetime is still too early.
        early = refresh(second, tokens["refresh_token"])
        assert early.status_code == 401, early.text
        assert "access_token not expired" in early.text
        requests.post(f"{second.url}/_sandbox/clock", json={"advance_seconds": 571},
                      timeout=10).raise_for_status()
        two = refresh(second, tokens["refresh_token"])
        assert two.status_code == 200, two.text
        newer = two.json()["refresh_token"]
    finally:
        second.stop()

    third = _restart(second, tmp_path)
    try:
        # The seed was rotated before the restart; --refresh-token at start does not revive it.
        assert third.options["refresh_token"] == REFRESH_TOKEN_SEED
        stale = refresh(third, REFRESH_TOKEN_SEED)
        assert stale.status_code == 400
        assert stale.json()["error"] in ("invalid_grant", "invalid_request")
        # The clock offset is per process: 571 s (last process) + 600 s puts the next refresh
        # beyond the 570-second rule again.
        requests.post(f"{third.url}/_sandbox/clock", json={"advance_seconds": 1200},
                      timeout=10).raise_for_status()
        current = refresh(third, newer)
        assert current.status_code == 200, current.text
        stats = requests.get(f"{third.url}/_sandbox/stats", timeout=10).json()
        assert stats["token_grants"] == 1  # counters are per process; the chain is not
    finally:
        third.stop()


def test_issued_code_survives_a_restart_and_stays_single_use(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite"
    first = SandboxProcess(**SMALL, db=db).start(log_dir=tmp_path)
    try:
        code = _authorize(first)
    finally:
        first.stop()

    second = _restart(first, tmp_path)
    try:
        grant = token_call(second, grant_type="authorization_code", code=code,
                           redirect_uri=REDIRECT)
        assert grant.status_code == 200, grant.text
        again = token_call(second, grant_type="authorization_code", code=code,
                           redirect_uri=REDIRECT)
        assert again.status_code == 400
        assert api(second, grant.json()["access_token"],
                   f"/api/v1/{DIV_A}/system/Divisions").status_code == 200
    finally:
        second.stop()


def test_token_calls_per_day_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite"
    first = SandboxProcess(**SMALL, db=db, token_calls_per_day=2).start(log_dir=tmp_path)
    try:
        assert refresh(first).status_code == 200
    finally:
        first.stop()
    second = _restart(first, tmp_path)
    try:
        bad = token_call(second, grant_type="refresh_token", refresh_token="unknown")
        assert bad.status_code == 400  # second call of the day: counted, refused as unknown
        capped = token_call(second, grant_type="refresh_token", refresh_token="unknown")
        assert "token requests per day (2) reached" in capped.text
    finally:
        second.stop()


def test_without_db_a_restart_forgets_the_login(tmp_path: Path) -> None:
    first = SandboxProcess(**SMALL).start(log_dir=tmp_path)
    try:
        tokens = refresh(first).json()
    finally:
        first.stop()
    second = _restart(first, tmp_path)
    try:
        assert api(second, tokens["access_token"], "/api/v1/current/Me").status_code == 401
    finally:
        second.stop()
