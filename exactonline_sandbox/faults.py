"""Injected faults for ``/api/v1/...`` requests (``POST /_sandbox/faults``, CONTRACTS §2).

Request body (JSON)::

    {"kind": "status"|"reset"|"truncate"|"stall"|"429"|"rewrite", "count": n,
     "status": 500|503,          # kind "status" (default 500)
     "seconds": s,               # kind "stall" (default 5, at most 3600)
     "path_contains": "sync/",   # optional: only requests whose path contains it
     "rewrite": {...}}           # kind "rewrite": what to send instead (see below)
    {"clear": true}              # drop every pending fault

Answer: ``{"pending": [{"kind", "count", "status", "seconds", "path_contains"}, ...]}``
(``GET /_sandbox/faults`` lists them too). Each pending fault applies to the next ``count``
matching ``/api/v1/...`` requests, oldest fault first, before the access-token check and the
rate limits. The OAuth endpoints (``/api/oauth2/...``) are hit only by a fault whose
``path_contains`` names them (e.g. ``"/api/oauth2/token"``). Kinds:

* ``status``: 500 with Exact's OData error envelope ("A problem has occurred..."), or 503
  with an HTML maintenance page;
* ``reset``: the connection is aborted before any byte of a response is written;
* ``truncate``: the real response runs, then its headers (with the full ``Content-Length``)
  and the first half of its body are sent and the connection is closed;
* ``stall``: waits ``seconds`` (other requests are served meanwhile), then answers normally;
* ``429``: a 429 with the OData envelope and only the minutely headers (Remaining 0, reset
  at the end of the current minute window), like a storm of minutely limits;
* ``rewrite``: a 200 answer that is valid HTTP but not what Exact should send. ``rewrite``
  holds one of: ``{"json": value}`` (this JSON instead of the real answer, e.g.
  ``{"d": {"results": null}}``), ``{"html": text}`` (an HTML page instead), or changes to
  the real answer: ``{"row": i, "set": {field: value}, "unset": [field, ...]}`` (row ``i``
  of ``d.results``) and/or ``{"next_self": true}`` (``d.__next`` = the request's own URL).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from exactonline_sandbox._asgi import (
    HTML_CONTENT_TYPE,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    odata_error,
    send_response,
)
from exactonline_sandbox.stats import SandboxStats


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message | None, bytes]:
    """Run ``app`` and return its response start message and whole body, unsent."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return start, b"".join(chunks)

KINDS = ("status", "reset", "truncate", "stall", "429", "rewrite")
REWRITE_KEYS = frozenset({"json", "html", "row", "set", "unset", "next_self"})
#: Longest stall a fault may ask for (a longer one would hold a connection for hours).
MAX_STALL_SECONDS = 3600
SERVER_ERROR_MESSAGE = (
    "A problem has occurred. The cause of this issue will be investigated as soon as possible."
)
MAINTENANCE_HTML = (
    b"<!DOCTYPE html><html><head><title>Exact Online - Maintenance</title></head><body>"
    b"<h1>Service Unavailable</h1><p>Exact Online is temporarily unavailable because of "
    b"maintenance. Please try again later.</p></body></html>"
)


class FaultSpecError(ValueError):
    """A ``POST /_sandbox/faults`` body is invalid; the message says what to fix."""


@dataclass
class Fault:
    """One pending fault and how many more requests it applies to."""

    kind: str
    count: int
    status: int | None = None
    seconds: float | None = None
    path_contains: str | None = None
    rewrite: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Fault:
        """Validate a request body.

        Raises:
            FaultSpecError: Unknown kind, non-positive count, bad status or seconds.
        """
        kind = body.get("kind")
        if kind not in KINDS:
            raise FaultSpecError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
        count = body.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise FaultSpecError(f"count must be a positive integer; got {count!r}")
        status = None
        seconds = None
        if kind == "status":
            status = body.get("status", 500)
            if status not in (500, 503):
                raise FaultSpecError(f"status must be 500 or 503; got {status!r}")
        if kind == "stall":
            seconds = body.get("seconds", 5)
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) \
                    or not 0 <= seconds <= MAX_STALL_SECONDS:
                raise FaultSpecError(f"seconds must be a number from 0 to {MAX_STALL_SECONDS}; "
                                     f"got {seconds!r}")
        path_contains = body.get("path_contains")
        if path_contains is not None and not isinstance(path_contains, str):
            raise FaultSpecError("path_contains must be a string")
        rewrite = None
        if kind == "rewrite":
            rewrite = body.get("rewrite")
            if not isinstance(rewrite, dict) or not rewrite or set(rewrite) - REWRITE_KEYS:
                raise FaultSpecError(
                    f"rewrite must be an object with keys among {', '.join(sorted(REWRITE_KEYS))}")
            if "html" in rewrite and not isinstance(rewrite["html"], str):
                raise FaultSpecError("rewrite.html must be a string")
            if not isinstance(rewrite.get("set", {}), dict) or not isinstance(
                    rewrite.get("unset", []), list):
                raise FaultSpecError("rewrite.set must be an object and rewrite.unset a list")
        return cls(kind, count, status, seconds, path_contains, rewrite)


class FaultQueue:
    """Pending faults, oldest first. Used only on the event loop."""

    def __init__(self) -> None:
        self._pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        self._pending.append(fault)

    def clear(self) -> None:
        """Drop every pending fault."""
        self._pending.clear()

    def pending(self) -> list[dict[str, Any]]:
        """The pending faults as JSON objects."""
        return [asdict(f) for f in self._pending]

    def take(self, path: str, *, explicit_only: bool = False) -> Fault | None:
        """Use up one application of the first fault matching ``path``, if any.

        Args:
            path: Request path without query.
            explicit_only: Only faults whose ``path_contains`` is set and matches (used for
                ``/api/oauth2/...``, which faults reach only when aimed at it explicitly).
        """
        for fault in self._pending:
            if fault.path_contains is None and explicit_only:
                continue
            if fault.path_contains is None or fault.path_contains in path:
                fault.count -= 1
                if fault.count <= 0:
                    self._pending.remove(fault)
                return fault
        return None


class FaultMiddleware:
    """ASGI middleware applying :class:`FaultQueue` to ``/api/v1/...`` requests.

    Args:
        app: The inner application (access-token check, rate limits, routes).
        faults: The queue filled by the control API.
        stats: Counts ``faults_injected`` (and ``rate_limited`` for injected 429s).
        minutely_headers: ``now -> headers`` for an injected 429 (from the rate limiter).
    """

    def __init__(
        self,
        app: ASGIApp,
        faults: FaultQueue,
        stats: SandboxStats,
        minutely_headers: Callable[[], list[tuple[bytes, bytes]]],
    ) -> None:
        self.app = app
        self.faults = faults
        self.stats = stats
        self.minutely_headers = minutely_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer with the next matching fault, or pass the request on."""
        path = scope["path"] if scope["type"] == "http" else ""
        if path.startswith("/api/v1/"):
            fault = self.faults.take(path)
        elif path.startswith("/api/oauth2/"):
            fault = self.faults.take(path, explicit_only=True)
        else:
            fault = None
        if fault is None:
            await self.app(scope, receive, send)
            return
        self.stats.incr("faults_injected")
        if fault.kind == "status":
            if fault.status == 503:
                await send_response(send, 503, MAINTENANCE_HTML, content_type=HTML_CONTENT_TYPE)
            else:
                await send_response(send, 500, odata_error(SERVER_ERROR_MESSAGE))
        elif fault.kind == "429":
            self.stats.incr("rate_limited")
            await send_response(send, 429, odata_error("API rate limit exceeded."),
                                headers=self.minutely_headers())
        elif fault.kind == "stall":
            await asyncio.sleep(float(fault.seconds or 0))
            await self.app(scope, receive, send)
        elif fault.kind == "reset":
            await self._reset(scope, receive, send)
        elif fault.kind == "rewrite":
            await self._rewrite(fault.rewrite or {}, scope, receive, send)
        else:
            await self._truncate(scope, receive, send)

    @staticmethod
    async def _reset(scope: Scope, receive: Receive, send: Send) -> None:
        transport = scope.get("sandbox.transport")
        if transport is not None:
            transport.abort()
            # Let the server notice the lost connection so it does not answer a 500 itself.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(receive(), timeout=1.0)
            return
        # No transport available (another ASGI server): headers only, then close.
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b"", "more_body": True})

    async def _rewrite(self, rewrite: dict[str, Any], scope: Scope, receive: Receive,
                       send: Send) -> None:
        if "html" in rewrite:
            await send_response(send, 200, rewrite["html"].encode(),
                                content_type=HTML_CONTENT_TYPE)
            return
        if "json" in rewrite:
            await send_response(send, 200, orjson.dumps(rewrite["json"]))
            return
        start, body = await _capture(self.app, scope, receive)
        if start is None:
            return
        try:
            payload = orjson.loads(body)
            envelope = payload["d"]
            rows = envelope["results"]
            if "row" in rewrite and rows:
                row = rows[min(int(rewrite["row"]), len(rows) - 1)]
                row.update(rewrite.get("set", {}))
                for name in rewrite.get("unset", []):
                    row.pop(name, None)
            if rewrite.get("next_self"):
                query = scope.get("query_string", b"").decode("latin-1")
                host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
                url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}"
                envelope["__next"] = f"{url}?{query}" if query else url
            body = orjson.dumps(payload)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            pass  # not a collection answer: sent unchanged
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _truncate(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await _capture(self.app, scope, receive)
        if start is None:
            return
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body[: len(body) // 2],
                    "more_body": True})
        # Returning with the response incomplete makes uvicorn close the connection.
        transport = scope.get("sandbox.transport")
        if transport is not None:
            transport.close()
