"""Injected faults and stats of the sandbox over real HTTP and raw sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.protocol_support import (
    DIV_A,
    DIV_B,
    access_token,
    api,
    refresh,
    start,
    subscriptions_path,
)
from tests.support.sandbox import SandboxProcess


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    proc = start(tmp_path_factory.mktemp("faults"), no_limits=True)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def token(sb: SandboxProcess) -> str:
    return access_token(sb)


@pytest.fixture(autouse=True)
def _clear(sb: SandboxProcess) -> Iterator[None]:
    sb.faults({"clear": True})
    yield
    sb.faults({"clear": True})


def raw_get(sb: SandboxProcess, token: str, path: str) -> bytes:
    """GET over a plain socket; return every byte received until the server closes."""
    with socket.create_connection(("127.0.0.1", sb.port), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def test_status_500_and_503(sb: SandboxProcess, token: str) -> None:
    sb.faults({"kind": "status", "status": 500, "count": 2})
    sb.faults({"kind": "status", "status": 503, "count": 1})
    first, second, third, fourth = (api(sb, token, subscriptions_path()) for _ in range(4))
    assert [r.status_code for r in (first, second, third, fourth)] == [500, 500, 503, 200]
    assert first.json() == {"error": {"code": "", "message": {"lang": "", "value": (
        "A problem has occurred. The cause of this issue will be investigated as soon as "
        "possible.")}}}
    assert third.headers["Content-Type"].startswith("text/html")
    assert "<html" in third.text


def test_connection_reset_sends_no_response(sb: SandboxProcess, token: str) -> None:
    sb.faults({"kind": "reset", "count": 1})
    assert raw_get(sb, token, subscriptions_path()) == b""
    sb.faults({"kind": "reset", "count": 1})
    with pytest.raises(requests.ConnectionError):
        api(sb, token, subscriptions_path())
    assert api(sb, token, subscriptions_path()).status_code == 200


def test_truncated_body(sb: SandboxProcess, token: str) -> None:
    sb.faults({"kind": "truncate", "count": 1})
    raw = raw_get(sb, token, "/api/v1/current/Me")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    assert 0 < len(body) < length
    sb.faults({"kind": "truncate", "count": 1})
    with pytest.raises(requests.RequestException):
        api(sb, token, "/api/v1/current/Me").json()


def test_stall_delays_only_the_faulted_request(sb: SandboxProcess, token: str) -> None:
    sb.faults({"kind": "stall", "seconds": 3, "count": 1})
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{sb.url}{subscriptions_path()}", timeout=0.5,
                     headers={"Authorization": f"Bearer {token}"})
    # The stall used up its count; the server keeps answering meanwhile.
    assert api(sb, token, subscriptions_path()).status_code == 200


def test_429_storm_with_minutely_headers_only(sb: SandboxProcess, token: str) -> None:
    sb.faults({"kind": "429", "count": 3})
    answers = [api(sb, token, subscriptions_path()) for _ in range(4)]
    assert [r.status_code for r in answers] == [429, 429, 429, 200]
    storm = answers[0]
    assert storm.headers["X-RateLimit-Minutely-Remaining"] == "0"
    assert int(storm.headers["X-RateLimit-Minutely-Reset"]) % 60_000 == 0
    assert "X-RateLimit-Limit" not in storm.headers
    assert storm.json()["error"]["message"]["value"]


def test_path_contains_and_pending_and_clear(sb: SandboxProcess, token: str) -> None:
    pending = sb.faults({"kind": "status", "count": 2, "path_contains": f"/{DIV_B}/"})
    assert pending["pending"] == [{"kind": "status", "count": 2, "status": 500,
                                   "seconds": None, "path_contains": f"/{DIV_B}/",
                                   "rewrite": None}]
    assert api(sb, token, subscriptions_path(DIV_A)).status_code == 200
    assert api(sb, token, subscriptions_path(DIV_B)).status_code == 500
    assert sb.faults({"clear": True}) == {"pending": []}
    assert api(sb, token, subscriptions_path(DIV_B)).status_code == 200
    bad = requests.post(f"{sb.url}/_sandbox/faults", json={"kind": "explode"}, timeout=10)
    assert bad.status_code == 400
    assert "kind must be one of" in bad.json()["error"]


def test_token_endpoint_only_hit_when_aimed_at(sb: SandboxProcess, token: str) -> None:
    sb.faults({"kind": "status", "status": 503, "count": 1})
    minted = requests.post(f"{sb.url}/_sandbox/oauth/refresh-token",
                           json={"reset_refresh_interval": True}, timeout=10).json()
    ok = refresh(sb, minted["refresh_token"])
    assert ok.status_code == 200  # an untargeted fault does not touch OAuth
    assert sb.faults({"clear": True}) == {"pending": []}
    sb.faults({"kind": "status", "status": 500, "count": 1, "path_contains": "/api/oauth2/token"})
    assert refresh(sb, ok.json()["refresh_token"]).status_code == 500


def test_stats_count_calls_faults_and_reset(sb: SandboxProcess, token: str) -> None:
    assert requests.post(f"{sb.url}/_sandbox/reset-stats", timeout=10).ok
    sb.faults({"kind": "status", "status": 503, "count": 1})
    for _ in range(3):
        api(sb, token, subscriptions_path(DIV_B))
    api(sb, None, "/api/v1/current/Me")
    stats = sb.stats()
    assert stats["calls"] == {subscriptions_path(DIV_B): 3, "/api/v1/current/Me": 1}
    assert stats["statuses"] == {"503": 1, "200": 2, "401": 1}
    assert stats["faults_injected"] == 1
    assert stats["token_calls"] == 0
    requests.post(f"{sb.url}/_sandbox/reset-stats", timeout=10)
    zeroed = sb.stats()
    assert zeroed["calls"] == {}
    assert zeroed["faults_injected"] == 0
