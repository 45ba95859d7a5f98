"""OAuth of the sandbox over real HTTP: code grant, rotation, 570-s rule, expiry, caps, 401s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.sandbox.protocol_support import (
    DIV_A,
    access_token,
    advance,
    api,
    refresh,
    start,
    subscriptions_path,
    token_call,
)
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN_SEED, SandboxProcess

REDIRECT = "https://app.example.test/callback?tenant=1"


@pytest.fixture
def sb(tmp_path: Path) -> Iterator[SandboxProcess]:
    proc = start(tmp_path, divisions=1)
    yield proc
    proc.stop()


def authorize(sb: SandboxProcess, state: str = "xyz-42") -> tuple[str, str]:
    """Run the authorization request; return (raw code value in the URL, decoded code)."""
    resp = requests.get(
        f"{sb.url}/api/oauth2/auth",
        params={"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
                "state": state, "force_login": "0"},
        allow_redirects=False, timeout=10,
    )
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT + "&code=")
    raw = location.split("code=", 1)[1].split("&", 1)[0]
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    assert query["tenant"] == ["1"]
    return raw, query["code"][0]


def test_code_grant_single_use_and_string_expires_in(sb: SandboxProcess) -> None:
    raw, code = authorize(sb)
    assert "!" in code
    assert "%21" in raw
    bad = token_call(sb, grant_type="authorization_code", code=raw, redirect_uri=REDIRECT)
    assert bad.status_code == 400
    assert bad.json() == {"error": "invalid_request"}
    _, code = authorize(sb)
    resp = token_call(sb, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert list(body) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert body["expires_in"] == "600"
    assert body["token_type"] == "bearer"
    assert api(sb, body["access_token"], "/api/v1/current/Me").status_code == 200
    again = token_call(sb, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_request"}
    stats = sb.stats()
    assert stats["token_calls"] == 3
    assert stats["token_grants"] == 1


def test_code_expires_after_code_seconds(sb: SandboxProcess) -> None:
    _, code = authorize(sb)
    advance(sb, 181)
    resp = token_call(sb, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_request"}


def test_wrong_client_secret_is_invalid_request(sb: SandboxProcess) -> None:
    resp = token_call(sb, grant_type="refresh_token", refresh_token=REFRESH_TOKEN_SEED,
                      client_secret="wrong")
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_request"}
    # The seed token was not used up by the failed call.
    assert refresh(sb).status_code == 200


def test_refresh_rotates_and_rejects_old_token(sb: SandboxProcess) -> None:
    first = refresh(sb)
    assert first.status_code == 200
    new_refresh = first.json()["refresh_token"]
    assert new_refresh != REFRESH_TOKEN_SEED
    advance(sb, 570)
    second = refresh(sb, new_refresh)
    assert second.status_code == 200
    assert second.json()["refresh_token"] not in (new_refresh, REFRESH_TOKEN_SEED)
    # The successor has been redeemed: every earlier refresh token is now rejected.
    for old_token in (REFRESH_TOKEN_SEED, new_refresh):
        advance(sb, 570)
        old = refresh(sb, old_token)
        assert old.status_code == 400
        assert old.json() == {
            "error": "invalid_grant", "error_description": "Old refresh token used."}


def test_used_refresh_token_stays_valid_until_its_successor_is_used(sb: SandboxProcess) -> None:
    """A client that lost the answer of a refresh can refresh again with the token it kept."""
    lost = refresh(sb)
    assert lost.status_code == 200
    advance(sb, 570)
    retry = refresh(sb, REFRESH_TOKEN_SEED)
    assert retry.status_code == 200
    kept = retry.json()["refresh_token"]
    # The successor whose answer was lost is void; the one the client kept works.
    advance(sb, 570)
    voided = refresh(sb, lost.json()["refresh_token"])
    assert voided.status_code == 400
    assert voided.json()["error_description"] == "Old refresh token used."
    assert refresh(sb, kept).status_code == 200


def test_used_refresh_token_grace_ends_after_ten_minutes(sb: SandboxProcess) -> None:
    assert refresh(sb).status_code == 200
    advance(sb, 601)
    late = refresh(sb, REFRESH_TOKEN_SEED)
    assert late.status_code == 400
    assert late.json()["error_description"] == "Old refresh token used."


def test_too_early_refresh_is_401_and_does_not_rotate(sb: SandboxProcess) -> None:
    token = refresh(sb).json()["refresh_token"]
    advance(sb, 560)
    early = refresh(sb, token)
    assert early.status_code == 401
    assert early.json() == {"error": "invalid_request",
                            "error_description": "Rate limit exceeded: access_token not expired"}
    advance(sb, 10)  # 570 s after the last access token
    assert refresh(sb, token).status_code == 200


def test_unused_refresh_token_expires_after_30_days(sb: SandboxProcess) -> None:
    advance(sb, 30 * 86400 + 1)
    resp = refresh(sb)
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"].startswith("The refresh token expired at ")
    assert " and it is now " in body["error_description"]


def test_token_calls_per_day_cap(tmp_path: Path) -> None:
    with start(tmp_path, divisions=1, token_calls_per_day=3) as sb:
        assert refresh(sb).status_code == 200
        for _ in range(2):
            # The seed again, too early (570-s rule): refused, but still a token call.
            assert refresh(sb).status_code == 401
        capped = refresh(sb)
        assert capped.status_code == 400
        assert capped.json()["error"] == "invalid_request"
        assert "token requests per day (3)" in capped.json()["error_description"]
        assert sb.stats()["token_calls"] == 4
        advance(sb, 86400)  # next UTC day: calls allowed again
        minted = requests.post(f"{sb.url}/_sandbox/oauth/refresh-token", timeout=10).json()
        assert refresh(sb, minted["refresh_token"]).status_code == 200


def test_api_401_empty_and_html_bodies_and_token_expiry(sb: SandboxProcess) -> None:
    bodies = [api(sb, None, "/api/v1/current/Me"),
              api(sb, "not-a-token", subscriptions_path(DIV_A))]
    assert [r.status_code for r in bodies] == [401, 401]
    assert bodies[0].content == b""
    assert "Object moved" in bodies[1].text
    assert "/docs/Login.aspx?ReturnUrl=%2fapi%2fv1%2f3100001%2fwebhooks" in bodies[1].text
    assert "x-ratelimit-limit" not in bodies[1].headers
    token = access_token(sb)
    assert api(sb, token, "/api/v1/current/Me").status_code == 200
    advance(sb, 599)
    assert api(sb, token, "/api/v1/current/Me").status_code == 200
    advance(sb, 1)
    assert api(sb, token, "/api/v1/current/Me").status_code == 401


def test_http_basic_client_authentication(sb: SandboxProcess) -> None:
    """Client id and secret as HTTP Basic (RFC 6749 §2.3.1), as requests-oauthlib and httpx
    clients send them; mixed with form fields only when both agree (docs/sandbox.md)."""
    url = f"{sb.url}/api/oauth2/token"
    grant = {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN_SEED}
    for auth, form in [(("wrong-id", CLIENT_SECRET), {}), ((CLIENT_ID, "wrong"), {}),
                       ((CLIENT_ID, CLIENT_SECRET), {"client_id": CLIENT_ID,
                                                     "client_secret": "other"})]:
        resp = requests.post(url, data={**grant, **form}, auth=auth, timeout=10)
        assert resp.status_code == 400, (auth, form)
        assert resp.json() == {"error": "invalid_request"}
    garbled = requests.post(url, data=grant, timeout=10,
                            headers={"Authorization": "Basic not-base64!"})
    assert garbled.status_code == 400
    ok = requests.post(url, data=grant, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    assert ok.status_code == 200, ok.text
    advance(sb, 570)
    both = requests.post(url, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10,
                         data={"grant_type": "refresh_token", "client_id": CLIENT_ID,
                               "client_secret": CLIENT_SECRET,
                               "refresh_token": ok.json()["refresh_token"]})
    assert both.status_code == 200, both.text
