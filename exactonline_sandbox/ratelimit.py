"""Exact Online's API rate limits, sandbox side (fact sheet §7).

Per division and app (the client id behind the access token):

* minutely: ``minutely_limit`` calls per fixed window of ``clock.minute_seconds``, windows
  aligned to the clock (Exact: 60 calls per clock minute, reset at the next whole minute);
* daily: ``daily_limit`` calls per UTC day (Exact: 5,000; reset at 00:00 UTC).

Every response of a division-scoped path ``/api/v1/{division}/...`` carries::

    X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset            (daily; epoch ms)
    X-RateLimit-Minutely-Limit, X-RateLimit-Minutely-Remaining,
    X-RateLimit-Minutely-Reset                                            (epoch ms)

A call over a limit is refused with 429 and the OData error envelope; on a *minutely* 429
only the three minutely headers are sent (as Exact does); a daily 429 carries all six.
Refused calls do not use up quota. Calls without a division (``/api/v1/current/Me``,
``/api/oauth2/...``, ``/_sandbox/...``) are exempt and get no headers. With limits disabled
(``--no-limits``) the headers are still sent, with a limit of 1,000,000,000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from exactonline_sandbox._asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    division_of,
    odata_error,
    send_response,
)
from exactonline_sandbox.clock import SandboxClock
from exactonline_sandbox.stats import SandboxStats

DAY_SECONDS = 86400.0
UNLIMITED = 1_000_000_000
RATE_LIMIT_MESSAGE = "API rate limit exceeded."


@dataclass(frozen=True)
class RateLimitOptions:
    """Limits per division and app. ``enabled=False`` never refuses (benchmarks)."""

    minutely_limit: int = 60
    daily_limit: int = 5000
    enabled: bool = True


@dataclass
class _Usage:
    minute_window: int = -1
    minute_used: int = 0
    day: int = -1
    day_used: int = 0


@dataclass
class Decision:
    """Outcome of :meth:`RateLimits.take` for one call.

    Attributes:
        allowed: ``False`` -> answer 429.
        headers: The ``X-RateLimit-*`` headers to send (raw ASGI byte pairs).
    """

    allowed: bool
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


class RateLimits:
    """Fixed-window counters keyed by ``(division, client_id)``. Runs on the event loop."""

    def __init__(self, options: RateLimitOptions, clock: SandboxClock) -> None:
        self.options = options
        self.clock = clock
        self._usage: dict[tuple[int, str], _Usage] = {}

    def minute_reset_ms(self, now: float | None = None) -> int:
        """Epoch ms of the end of the current minute window."""
        now = self.clock.now() if now is None else now
        minute = self.clock.minute_seconds
        return round((math.floor(now / minute) + 1) * minute * 1000)

    def minutely_headers(self, limit: int, remaining: int, now: float) -> list[tuple[bytes, bytes]]:
        """The three ``X-RateLimit-Minutely-*`` headers."""
        return [
            (b"x-ratelimit-minutely-limit", str(limit).encode()),
            (b"x-ratelimit-minutely-remaining", str(max(remaining, 0)).encode()),
            (b"x-ratelimit-minutely-reset", str(self.minute_reset_ms(now)).encode()),
        ]

    def take(self, division: int, client_id: str) -> Decision:
        """Count one call of ``client_id`` on ``division`` if the limits allow it."""
        now = self.clock.now()
        minute_limit = self.options.minutely_limit if self.options.enabled else UNLIMITED
        day_limit = self.options.daily_limit if self.options.enabled else UNLIMITED
        window = math.floor(now / self.clock.minute_seconds)
        day = math.floor(now / DAY_SECONDS)
        usage = self._usage.setdefault((division, client_id), _Usage())
        if usage.minute_window != window:
            usage.minute_window, usage.minute_used = window, 0
        if usage.day != day:
            usage.day, usage.day_used = day, 0
        daily_reset = str(int((day + 1) * DAY_SECONDS * 1000)).encode()
        if usage.day_used >= day_limit:
            return Decision(False, self._all_headers(minute_limit, minute_limit - usage.minute_used,
                                                     day_limit, 0, daily_reset, now))
        if usage.minute_used >= minute_limit:
            return Decision(False, self.minutely_headers(minute_limit, 0, now))
        usage.minute_used += 1
        usage.day_used += 1
        return Decision(True, self._all_headers(minute_limit, minute_limit - usage.minute_used,
                                                day_limit, day_limit - usage.day_used,
                                                daily_reset, now))

    def _all_headers(
        self, minute_limit: int, minute_remaining: int, day_limit: int, day_remaining: int,
        daily_reset: bytes, now: float,
    ) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(day_limit).encode()),
            (b"x-ratelimit-remaining", str(max(day_remaining, 0)).encode()),
            (b"x-ratelimit-reset", daily_reset),
            *self.minutely_headers(minute_limit, minute_remaining, now),
        ]


class RateLimitMiddleware:
    """ASGI middleware: applies :class:`RateLimits` to division-scoped REST paths.

    Must run inside :class:`~exactonline_sandbox.oauth.AccessTokenMiddleware`, which puts
    the app's client id in ``scope["sandbox.client_id"]``.
    """

    def __init__(self, app: ASGIApp, limits: RateLimits, stats: SandboxStats) -> None:
        self.app = app
        self.limits = limits
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse with 429 or pass on, adding the six headers to the response."""
        division = division_of(scope["path"]) if scope["type"] == "http" else None
        if division is None:
            await self.app(scope, receive, send)
            return
        decision = self.limits.take(division, scope.get("sandbox.client_id", ""))
        if not decision.allowed:
            self.stats.incr("rate_limited")
            await send_response(send, 429, odata_error(RATE_LIMIT_MESSAGE),
                                headers=decision.headers)
            return
        extra = decision.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
