"""Compose the sandbox: S1's World (data + entity endpoints) inside S2's protocol layers.

Request path through the layers (outermost first)::

    StatsMiddleware          counts calls per path and statuses
    LatencyMiddleware        --latency-ms: waits before every /api/... answer
    FaultMiddleware          injected faults for /api/v1/... (POST /_sandbox/faults)
    AccessTokenMiddleware    401 for /api/v1/... without a valid bearer token
    RateLimitMiddleware      X-RateLimit-* headers and 429 on /api/v1/{division}/...
    Starlette router         control API, OAuth, webhook subscriptions, then World.routes()

Control API added here (no auth, never rate limited; JSON in and out):

* ``GET /_sandbox/stats`` -> the counters of :mod:`.stats` plus ``webhooks_pending`` and
  ``now`` (sandbox epoch seconds); ``POST /_sandbox/reset-stats`` zeroes them.
* ``GET|POST /_sandbox/faults`` (see :mod:`.faults`).
* ``GET|POST /_sandbox/clock`` body ``{"advance_seconds": s}`` -> ``{"now": epoch_seconds}``.
* ``POST /_sandbox/oauth/refresh-token`` body ``{"reset_refresh_interval": bool}`` (optional)
  -> ``{"refresh_token": "..."}``: mints a new valid refresh token (tests that need a token
  chain of their own); with ``reset_refresh_interval`` the next refresh is not refused by the
  570-second rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from exactonline_sandbox._asgi import ASGIApp, Receive, Scope, Send
from exactonline_sandbox.clock import SandboxClock
from exactonline_sandbox.faults import Fault, FaultMiddleware, FaultQueue, FaultSpecError
from exactonline_sandbox.latency import LatencyMiddleware
from exactonline_sandbox.oauth import AccessTokenMiddleware, OAuthOptions, OAuthServer
from exactonline_sandbox.oauth_store import OAuthStore
from exactonline_sandbox.options import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_WEBHOOK_SECRET,
    SandboxOptions,
)
from exactonline_sandbox.ratelimit import RateLimitMiddleware, RateLimitOptions, RateLimits
from exactonline_sandbox.stats import SandboxStats, StatsMiddleware
from exactonline_sandbox.webhooks import WebhookHub

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_WEBHOOK_SECRET",
    "Sandbox",
    "SandboxOptions",
]

class WorldLike(Protocol):
    """What the sandbox needs of S1's ``World`` (CONTRACTS §3)."""

    accessible_divisions: list[int]
    current_division: int
    inaccessible_divisions: list[int]

    def routes(self) -> list[BaseRoute]:
        """Entity endpoints, /api/v1/current/Me and the data control API."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


WorldFactory = Callable[[SandboxOptions, SandboxClock, Callable[[Any], None]], WorldLike]


def default_world(options: SandboxOptions, clock: SandboxClock,
                  on_change: Callable[[Any], None]) -> WorldLike:
    """Build S1's World with the data options."""
    from exactonline_sandbox.world import World, WorldOptions

    world_options = WorldOptions(seed=options.seed, divisions=options.divisions,
                                 rows=options.rows, db_path=options.db_path,
                                 as_of=options.as_of)
    return World(world_options, clock, on_change=on_change)


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


class Sandbox:
    """The composed ASGI application and the objects behind it.

    Args:
        options: Sandbox options.
        world_factory: Builds the World (default: S1's ``World``); tests may pass a stand-in.
    """

    def __init__(self, options: SandboxOptions,
                 world_factory: WorldFactory | None = None) -> None:
        self.options = options
        self._closed = False
        self.clock = SandboxClock(options.minute_seconds)
        self.stats = SandboxStats()
        self.faults = FaultQueue()
        self.limits = RateLimits(
            RateLimitOptions(options.minutely_limit, options.daily_limit, options.limits_enabled),
            self.clock,
        )
        self.webhooks = WebhookHub(
            self.clock,
            self.stats,
            webhook_secret=options.webhook_secret,
            user_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"exactonline-sandbox-user/{options.seed}")),
            retries=options.webhook_retries,
            retry_delay=options.webhook_retry_delay,
            validate_callback=options.webhook_validation,
        )
        try:
            self.world = (world_factory or default_world)(options, self.clock,
                                                           self.webhooks.notify)
        except BaseException:
            self.webhooks.close()
            raise
        # After the World: it creates (or rebuilds) the --db file the OAuth state lives in.
        self.oauth = OAuthServer(
            OAuthOptions(
                client_id=options.client_id,
                client_secret=options.client_secret,
                refresh_token_seed=options.refresh_token,
                access_token_seconds=options.access_token_seconds,
                refresh_token_days=options.refresh_token_days,
                token_calls_per_day=options.token_calls_per_day,
                code_seconds=options.code_seconds,
            ),
            self.clock,
            self.stats,
            OAuthStore(options.db_path),
        )
        accessible = set(self.world.accessible_divisions)
        self.webhooks.accessible = accessible.__contains__
        # Show the World's user (the one of /api/v1/current/Me) as Creator, when it has one.
        if isinstance(getattr(self.world, "user_id", None), str):
            self.webhooks.user_id = self.world.user_id  # type: ignore[attr-defined]
            first = getattr(self.world, "user_first", "")
            last = getattr(self.world, "user_last", "")
            if first or last:
                self.webhooks.user_full_name = f"{first} {last}".strip()
        router = Starlette(routes=[
            *self._control_routes(),
            *self.oauth.routes(),
            *self.webhooks.routes(),
            *self.world.routes(),
        ])
        inner: ASGIApp = RateLimitMiddleware(router, self.limits, self.stats)
        inner = AccessTokenMiddleware(inner, self.oauth)
        inner = FaultMiddleware(
            inner, self.faults, self.stats,
            lambda: self.limits.minutely_headers(self.options.minutely_limit, 0,
                                                 self.clock.now()),
        )
        if options.latency_ms > 0:
            inner = LatencyMiddleware(inner, options.latency_ms / 1000.0)
        self.asgi: ASGIApp = StatsMiddleware(inner, self.stats)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            self.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.asgi(scope, receive, send)

    def close(self) -> None:
        """Stop the webhook sender and close the World (once; later calls do nothing)."""
        if self._closed:
            return
        self._closed = True
        self.webhooks.close()
        self.oauth.store.close()
        self.world.close()

    def describe(self) -> str:
        """One line for the start-up log (no secrets)."""
        return (f"divisions {', '.join(map(str, self.world.accessible_divisions))} "
                f"(current {self.world.current_division}; no access: "
                f"{', '.join(map(str, self.world.inaccessible_divisions))}), "
                f"seed {self.options.seed}, rows {self.options.rows}"
                + (f", data as of {as_of}" if (as_of := getattr(self.world, "as_of", None))
                   else ""))

    # -- control API ----------------------------------------------------------------------
    def _control_routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/stats", self._stats, methods=["GET"]),
            Route("/_sandbox/reset-stats", self._reset_stats, methods=["POST"]),
            Route("/_sandbox/faults", self._faults, methods=["GET", "POST"]),
            Route("/_sandbox/clock", self._clock, methods=["GET", "POST"]),
            Route("/_sandbox/oauth/refresh-token", self._mint_refresh_token, methods=["POST"]),
        ]

    async def _stats(self, request: Request) -> Response:
        data = self.stats.snapshot()
        data["webhooks_pending"] = self.webhooks.pending()
        data["now"] = self.clock.now()
        return _json(data)

    async def _reset_stats(self, request: Request) -> Response:
        self.stats.reset()
        return _json(self.stats.snapshot())

    @staticmethod
    async def _body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        data = orjson.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    async def _faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await self._body(request)
                if body.get("clear"):
                    self.faults.clear()
                else:
                    self.faults.add(Fault.from_json(body))
            except (ValueError, FaultSpecError) as exc:
                return _json({"error": str(exc)}, 400)
        return _json({"pending": self.faults.pending()})

    async def _clock(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await self._body(request)
                seconds = body.get("advance_seconds", 0)
                if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                    raise ValueError("advance_seconds must be a number")
                self.clock.advance(float(seconds))
            except OverflowError:
                return _json({"error": "advance_seconds is too large"}, 400)
            except ValueError as exc:
                return _json({"error": str(exc)}, 400)
        return _json({"now": self.clock.now(), "offset_seconds": self.clock.offset})

    async def _mint_refresh_token(self, request: Request) -> Response:
        try:
            body = await self._body(request)
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        if body.get("reset_refresh_interval"):
            self.oauth.forget_last_issue()
        return _json({"refresh_token": self.oauth.new_refresh_token()})
