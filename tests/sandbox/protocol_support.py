"""Helpers for the sandbox protocol tests (S2): start a sandbox, get tokens, call the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN_SEED, SandboxProcess

#: Small data: the protocol tests never read entity data in bulk.
SMALL = {"seed": 3, "divisions": 2, "rows": 200}
DIV_A = 3100001
DIV_B = 3100018
NO_ACCESS = 3999999


def start(tmp_path: Path, **options: Any) -> SandboxProcess:
    """Start a small sandbox with ``options`` (on top of :data:`SMALL`)."""
    return SandboxProcess(**{**SMALL, **options}).start(log_dir=tmp_path)


def token_call(sb: SandboxProcess, **form: str) -> requests.Response:
    """``POST /api/oauth2/token`` form-encoded, with the app's credentials unless given."""
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
    return requests.post(f"{sb.url}/api/oauth2/token", data=data, timeout=10)


def refresh(sb: SandboxProcess, refresh_token: str = REFRESH_TOKEN_SEED) -> requests.Response:
    """A refresh_token grant."""
    return token_call(sb, grant_type="refresh_token", refresh_token=refresh_token)


def access_token(sb: SandboxProcess) -> str:
    """An access token from a freshly minted refresh token chain (no 570-s wait)."""
    return sb.access_token()


def advance(sb: SandboxProcess, seconds: float) -> float:
    """Move the sandbox clock forward; returns the new sandbox time (epoch seconds)."""
    resp = requests.post(f"{sb.url}/_sandbox/clock", json={"advance_seconds": seconds},
                         timeout=10)
    resp.raise_for_status()
    return resp.json()["now"]


def api(sb: SandboxProcess, token: str | None, path: str, method: str = "GET",
        **kwargs: Any) -> requests.Response:
    """Call ``{sb.url}{path}`` with a bearer token (none when ``token`` is None)."""
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, f"{sb.url}{path}", headers=headers, timeout=30, **kwargs)


def subscriptions_path(division: int = DIV_A) -> str:
    """The division-scoped webhook subscription collection (an S2 endpoint, always there)."""
    return f"/api/v1/{division}/webhooks/WebhookSubscriptions"


def mutate(sb: SandboxProcess, body: dict[str, Any]) -> list[dict[str, Any]]:
    """``POST /_sandbox/mutate`` -> the ``changed`` list."""
    resp = requests.post(f"{sb.url}/_sandbox/mutate", json=body, timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.json()["changed"]
