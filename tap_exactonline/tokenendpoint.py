"""Exact Online's token endpoint: one POST, retried when no answer comes, classified.

``POST {base}/api/oauth2/token`` (fact sheet §2) answers with tokens, with "access_token not
expired" (the 570-s rule, 401), with a refusal (400/401), or with something else. An attempt
that may have reached Exact without its answer reaching us (reset or truncated after sending)
is noted in :attr:`TokenAnswer.lost_at`: Exact may have rotated the refresh token then.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

TOKEN_CALL_ATTEMPTS = 3
HTTP_TIMEOUT = (10.0, 60.0)


class TokenEndpointError(Exception):
    """The token endpoint failed in a way a new login would not fix (down, rate limited).

    ``str(exc)`` is one line without secrets.
    """


@dataclass(frozen=True)
class TokenAnswer:
    """One token-endpoint answer, classified.

    kind: ``ok`` (new tokens), ``too_early`` (570 s rule; current token still valid),
    ``rejected`` (refresh token or code refused: 400/401), ``lost`` (a 200 whose body broke
    off), ``failed`` (no answer after every attempt). ``lost_at``: when an attempt that may
    have reached Exact got no answer.
    """

    kind: str
    status: int
    access_token: str | None = None
    expires_in: float | None = None
    refresh_token: str | None = None
    error: str = ""
    lost_at: float | None = None


class TokenEndpoint:
    """Calls to one app's token endpoint.

    Args:
        url: ``{base}/api/oauth2/token``.
        client_secret: Never shown: replaced by ``***`` in any message.
        session: HTTP session.
        logger: Receives DEBUG lines (grant type and attempt, never a value).
        now: Epoch-seconds clock.
        sleep: Waits between attempts (seconds).
        known_tokens: Tokens to hide from messages as well (the current ones).
    """

    def __init__(self, *, url: str, client_secret: str, session: requests.Session,
                 logger: logging.Logger, now: Callable[[], float],
                 sleep: Callable[[float], None],
                 known_tokens: Callable[[], list[str]]) -> None:
        self.token_url = url
        self._client_secret = client_secret
        self._session = session
        self.logger = logger
        self._now = now
        self._sleep = sleep
        self._known_tokens = known_tokens
        self.calls = 0
        """Calls made (for logs and the CLI)."""

    def call(self, form: dict[str, str]) -> TokenAnswer:
        """POST the token endpoint; retry connection errors and 5xx; classify the answer.

        Returns:
            The classified answer; kind ``failed`` after ``TOKEN_CALL_ATTEMPTS`` attempts
            without an answer. ``lost_at`` is set when an attempt may have reached Exact
            without its answer reaching us (reset or truncated after sending).

        Raises:
            TokenEndpointError: Rate limited (200 calls/day) or an unexpected answer.
        """
        secrets = [v for k, v in form.items() if k in ("refresh_token", "code", "client_secret")]
        last_problem = ""
        lost_at: float | None = None
        for attempt in range(1, TOKEN_CALL_ATTEMPTS + 1):
            self.calls += 1
            self.logger.debug("token endpoint call (grant_type=%s, attempt %d)",
                              form["grant_type"], attempt)
            try:
                resp = self._session.post(
                    self.token_url,
                    data=form,
                    headers={"Accept": "application/json"},
                    timeout=HTTP_TIMEOUT,
                )
            except requests.RequestException as exc:
                last_problem = f"{type(exc).__name__} reaching {self.token_url}"
                if not _never_sent(exc):
                    lost_at = self._now()
            else:
                if resp.status_code < 500:
                    try:
                        answer = self._classify(resp, secrets)
                    except TokenEndpointError as exc:
                        exc.lost_at = lost_at  # type: ignore[attr-defined]
                        raise
                    if answer.kind != "lost":
                        return replace(answer, lost_at=lost_at)
                    lost_at = self._now()
                    last_problem = answer.error
                else:
                    last_problem = f"HTTP {resp.status_code}"
            if attempt < TOKEN_CALL_ATTEMPTS:
                self._sleep(2.0 ** (attempt - 1))
        return TokenAnswer("failed", 0, error=last_problem, lost_at=lost_at)

    def _classify(self, resp: requests.Response, secrets: list[str]) -> TokenAnswer:
        try:
            body = resp.json()
        except ValueError:
            if resp.status_code == 200 and "json" in resp.headers.get("Content-Type", ""):
                return TokenAnswer("lost", 200, error="HTTP 200 with an unreadable JSON body")
            body = None
        hide = [*secrets, self._client_secret, *self._known_tokens()]
        if not isinstance(body, dict):
            if resp.status_code == 200:
                raise TokenEndpointError(
                    f"Exact Online token endpoint answered HTTP 200 with "
                    f"{one_line(_describe_body(resp), hide)} instead of tokens: check base_url "
                    "or region (it must be Exact Online's host, not a proxy or login page), "
                    "then run again")
            body = {}
        error = one_line(
            ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
            or f"HTTP {resp.status_code}",
            hide,
        )
        access_token = body.get("access_token") or None
        new_refresh = body.get("refresh_token") or None
        expires_in = _seconds(body.get("expires_in"))
        if "not expired" in error.lower():
            return TokenAnswer("too_early", resp.status_code, access_token, expires_in,
                                new_refresh, error)
        if resp.status_code == 200 and access_token:
            token_type = str(body.get("token_type") or "bearer")
            if token_type.lower() != "bearer":
                raise TokenEndpointError(
                    f"Exact Online returned token_type {token_type[:20]!r}, expected Bearer")
            return TokenAnswer("ok", 200, access_token, expires_in, new_refresh)
        if resp.status_code == 200:
            keys = ", ".join(sorted(str(k) for k in body)[:8]) or "no keys"
            raise TokenEndpointError(
                f"Exact Online token endpoint answered HTTP 200 with JSON without an "
                f"access_token (keys: {one_line(keys, hide)}): check base_url or region, "
                "then run again")
        if "rate limit" in error.lower() or resp.status_code == 429:
            raise TokenEndpointError(
                f"Exact Online token endpoint limit reached ({error}): at most 200 token calls "
                "per app and user per day; the stored tokens are kept, run again tomorrow"
            )
        if resp.status_code in (400, 401):
            return TokenAnswer("rejected", resp.status_code, error=f"HTTP {resp.status_code} "
                                f"{error}")
        raise TokenEndpointError(
            f"Exact Online token endpoint answered HTTP {resp.status_code} ({error})")


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)
    return isinstance(reason, NewConnectionError)


def _describe_body(resp: requests.Response) -> str:
    """A short description of a non-JSON body: an HTML page (with its title), or text."""
    text = resp.text or ""
    if not text.strip():
        return "an empty body"
    kind = resp.headers.get("Content-Type", "").split(";")[0] or "no content type"
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if match:
        return f"an HTML page titled {' '.join(match.group(1).split())[:80]!r}"
    if "<html" in text[:500].lower():
        return "an HTML page"
    return f"{len(resp.content)} bytes of {kind}"


def _seconds(value: Any) -> float | None:
    """``expires_in`` as seconds: Exact sends a string ("600"), others a number."""
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def one_line(text: str, secrets: list[str], limit: int = 200) -> str:
    """Collapse whitespace, cut to ``limit`` characters, and replace secret values with ***."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
