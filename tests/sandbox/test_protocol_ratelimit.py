"""Rate limits of the sandbox over real HTTP: the six headers, minutely and daily 429s."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import requests

from tests.sandbox.protocol_support import (
    DIV_A,
    DIV_B,
    NO_ACCESS,
    access_token,
    advance,
    api,
    refresh,
    start,
    subscriptions_path,
)

SIX = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
       "X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining",
       "X-RateLimit-Minutely-Reset")
MINUTELY = SIX[3:]


def test_headers_on_division_calls_and_minutely_429_with_one_second_minute(
    tmp_path: Path,
) -> None:
    with start(tmp_path, minute_seconds=1, minutely_limit=3, daily_limit=1000) as sb:
        token = access_token(sb)
        first = api(sb, token, subscriptions_path(DIV_A))
        assert first.status_code == 200
        assert all(name in first.headers for name in SIX)
        assert first.headers["X-RateLimit-Limit"] == "1000"
        assert first.headers["X-RateLimit-Remaining"] == "999"
        assert first.headers["X-RateLimit-Minutely-Limit"] == "3"
        daily_reset = int(first.headers["X-RateLimit-Reset"])
        assert daily_reset % 86_400_000 == 0  # next 00:00 UTC, epoch milliseconds
        minute_reset = int(first.headers["X-RateLimit-Minutely-Reset"])
        assert minute_reset % 1000 == 0  # end of a 1-second window, epoch milliseconds

        ok_per_window: dict[str, int] = defaultdict(int)
        refused = []
        for _ in range(60):
            resp = api(sb, token, subscriptions_path(DIV_A))
            reset = resp.headers["X-RateLimit-Minutely-Reset"]
            if resp.status_code == 200:
                ok_per_window[reset] += 1
            else:
                refused.append(resp)
                if len(refused) >= 3:
                    break
        assert max(ok_per_window.values()) <= 3
        assert refused, "no 429 although 60 calls were made with 3 allowed per second"
        too_many = refused[0]
        assert too_many.status_code == 429
        assert too_many.json()["error"]["message"]["value"]
        assert all(name in too_many.headers for name in MINUTELY)
        assert too_many.headers["X-RateLimit-Minutely-Remaining"] == "0"
        assert "X-RateLimit-Limit" not in too_many.headers  # only minutely headers
        assert "X-RateLimit-Remaining" not in too_many.headers
        advance(sb, 1)  # the next window: allowed again
        assert api(sb, token, subscriptions_path(DIV_A)).status_code == 200
        assert sb.stats()["rate_limited"] == len(refused)


def test_daily_limit_per_division_and_utc_midnight_reset(tmp_path: Path) -> None:
    with start(tmp_path, minutely_limit=100, daily_limit=4) as sb:
        token = access_token(sb)
        remaining = [api(sb, token, subscriptions_path(DIV_A)).headers["X-RateLimit-Remaining"]
                     for _ in range(4)]
        assert remaining == ["3", "2", "1", "0"]
        over = api(sb, token, subscriptions_path(DIV_A))
        assert over.status_code == 429
        assert all(name in over.headers for name in SIX)
        assert over.headers["X-RateLimit-Remaining"] == "0"
        # Another division of the same app is not affected.
        assert api(sb, token, subscriptions_path(DIV_B)).status_code == 200
        # Calls without a division are exempt and carry no headers.
        me = api(sb, token, "/api/v1/current/Me")
        assert me.status_code == 200
        assert not any(name in me.headers for name in SIX)
        now = advance(sb, 0)
        advance(sb, math.ceil(now / 86400) * 86400 - now + 1)  # just past 00:00 UTC
        again = api(sb, access_token(sb), subscriptions_path(DIV_A))
        assert again.status_code == 200
        assert again.headers["X-RateLimit-Remaining"] == "3"


def test_exempt_paths_have_no_headers(tmp_path: Path) -> None:
    with start(tmp_path, divisions=1, minutely_limit=1) as sb:
        token_resp = refresh(sb)
        assert token_resp.status_code == 200
        token = token_resp.json()["access_token"]
        for resp in (token_resp, api(sb, token, "/api/v1/current/Me"),
                     api(sb, token, "/api/v1/current/Me"),
                     requests.get(f"{sb.url}/_sandbox/stats", timeout=10)):
            assert resp.status_code == 200
            assert not any(name in resp.headers for name in SIX)


def test_no_limits_sends_generous_headers_and_never_429(tmp_path: Path) -> None:
    with start(tmp_path, divisions=1, minutely_limit=1, daily_limit=1, no_limits=True) as sb:
        token = access_token(sb)
        for _ in range(5):
            resp = api(sb, token, subscriptions_path(DIV_A))
            assert resp.status_code == 200
            assert int(resp.headers["X-RateLimit-Minutely-Limit"]) >= 1_000_000
            assert int(resp.headers["X-RateLimit-Remaining"]) > 1_000_000


def test_world_endpoints_and_403_count_and_carry_headers(tmp_path: Path) -> None:
    with start(tmp_path, minutely_limit=100, daily_limit=100) as sb:
        token = access_token(sb)
        data = api(sb, token, f"/api/v1/{DIV_A}/system/Divisions")
        assert data.status_code == 200
        assert data.headers["X-RateLimit-Remaining"] == "99"
        again = api(sb, token, f"/api/v1/{DIV_A}/system/Divisions")
        assert again.headers["X-RateLimit-Minutely-Remaining"] == "98"
        forbidden = api(sb, token, f"/api/v1/{NO_ACCESS}/system/Divisions")
        assert forbidden.status_code == 403
        assert forbidden.headers["Reason"] == "NoDivisionAccess"
        assert all(name in forbidden.headers for name in SIX)
        assert forbidden.headers["X-RateLimit-Remaining"] == "99"  # its own division's quota
