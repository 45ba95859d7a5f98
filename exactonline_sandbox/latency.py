"""``--latency-ms``: every API answer comes late, as Exact's do over the internet.

Exact Online answers a call in a few hundred milliseconds; the sandbox on loopback answers in
a few. With a latency the sandbox shows what that does to a run (benchmarks, parallel
divisions). The delay is awaited, so concurrent requests wait side by side, as they would on
the real service; the control API (``/_sandbox/...``) is never delayed.
"""

from __future__ import annotations

import asyncio

from exactonline_sandbox._asgi import ASGIApp, Receive, Scope, Send


class LatencyMiddleware:
    """Waits ``seconds`` before handling each request under ``/api/`` (REST and OAuth)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Delay API requests, then pass them on."""
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)
