"""Sandbox counters behind ``GET /_sandbox/stats`` and ``POST /_sandbox/reset-stats``.

Shape of :meth:`SandboxStats.snapshot` (CONTRACTS §2, more keys allowed)::

    {"calls": {"/api/v1/3100001/sync/Financial/TransactionLines": 3, ...},
     "statuses": {"200": 10, "429": 1, ...},
     "token_grants": 2,      # token responses that issued an access token
     "token_calls": 3,       # every POST /api/oauth2/token, successful or not
     "rate_limited": 1,      # 429 responses sent (real limits and injected 429 storms)
     "faults_injected": 0,   # requests answered by an injected fault (any kind)
     "webhooks_sent": 4,     # notifications delivered (callback answered 2xx)
     "webhooks_failed": 0,   # notifications given up after all retries
     "webhook_attempts": 4}  # POSTs made to callback URLs, including retries

``calls`` counts every request by its path without the query string, except the control API
under ``/_sandbox/`` (so polling the stats does not change them).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from exactonline_sandbox._asgi import ASGIApp, Message, Receive, Scope, Send

COUNTERS = (
    "token_grants",
    "token_calls",
    "rate_limited",
    "faults_injected",
    "webhooks_sent",
    "webhooks_failed",
    "webhook_attempts",
)


class SandboxStats:
    """Thread-safe counters (the webhook sender thread updates them too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._counters: Counter[str] = Counter()

    def count_call(self, path: str) -> None:
        """Count one request to ``path`` (no query string)."""
        with self._lock:
            self._calls[path] += 1

    def count_status(self, status: int) -> None:
        """Count one response status code."""
        with self._lock:
            self._statuses[str(status)] += 1

    def incr(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``name`` (one of :data:`COUNTERS`).

        Raises:
            KeyError: ``name`` is not a known counter.
        """
        if name not in COUNTERS:
            raise KeyError(f"unknown sandbox counter {name!r}")
        with self._lock:
            self._counters[name] += n

    def get(self, name: str) -> int:
        """Current value of the counter ``name``."""
        with self._lock:
            return self._counters[name]

    def snapshot(self) -> dict[str, Any]:
        """Return the JSON document of ``GET /_sandbox/stats``."""
        with self._lock:
            out: dict[str, Any] = {
                "calls": dict(self._calls),
                "statuses": dict(self._statuses),
            }
            out.update({name: self._counters[name] for name in COUNTERS})
        return out

    def reset(self) -> None:
        """Zero every counter (``POST /_sandbox/reset-stats``)."""
        with self._lock:
            self._calls.clear()
            self._statuses.clear()
            self._counters.clear()


class StatsMiddleware:
    """Outermost ASGI middleware: counts each HTTP request by path and each response status."""

    def __init__(self, app: ASGIApp, stats: SandboxStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count, then pass the request on.

        Also records the server's transport (uvicorn's response cycle holds it) as
        ``scope["sandbox.transport"]``, so the connection-reset fault can abort it.
        """
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["sandbox.transport"] = getattr(getattr(send, "__self__", None), "transport", None)
        if scope["path"].startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        self.stats.count_call(scope["path"])
        stats = self.stats
        original_send = send

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats.count_status(int(message["status"]))
            await original_send(message)

        await self.app(scope, receive, counting_send)
