"""What every compatibility script shares: the user's browser, the sandbox's clock, results.

Stdlib only: the scripts run inside the client library's own virtualenv. Settings come from
the environment (``EO_URL``, ``EO_CLIENT_ID``, ``EO_CLIENT_SECRET``, ``EO_REDIRECT``); the
results are one JSON object on the last line of stdout: ``{step: {"ok": true, "value": ...}
| {"ok": false, "error": "<exception type>: <message>"}}``.
"""

from __future__ import annotations

import json
import os
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

URL = os.environ["EO_URL"]
CLIENT_ID = os.environ["EO_CLIENT_ID"]
CLIENT_SECRET = os.environ["EO_CLIENT_SECRET"]
REDIRECT = os.environ["EO_REDIRECT"]
RESULTS: dict[str, dict[str, Any]] = {}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def browser_login(auth_url: str) -> str:
    """What the user's browser does with the library's authorization URL: the redirect URL
    (``{redirect_uri}?code=...&state=...``) the sandbox answers with."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(auth_url, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code == 302:
            return exc.headers["Location"]
        raise
    raise RuntimeError("the authorization request was not redirected")


def advance_clock(seconds: float) -> None:
    """Move the sandbox clock (so a refresh is not refused by Exact's 570-second rule)."""
    request = urllib.request.Request(f"{URL}/_sandbox/clock", method="POST",
                                     data=json.dumps({"advance_seconds": seconds}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()


def step(name: str, action: Callable[[], Any]) -> Any:
    """Run one step of the library's ordinary use and record its value or its error."""
    try:
        value = action()
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        RESULTS[name] = {"ok": False, "error": detail[:1500],
                         "trace": traceback.format_exc()[-1500:]}
        return None
    RESULTS[name] = {"ok": True, "value": value}
    return value


def done() -> None:
    """Print the results (last line of stdout)."""
    print(json.dumps(RESULTS, default=str))
