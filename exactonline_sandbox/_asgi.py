"""Small ASGI helpers shared by the sandbox's protocol middlewares (S2).

Exact Online answers REST errors with the OData v2 error envelope
``{"error":{"code":"","message":{"lang":"","value":"..."}}}`` (fact sheet §8); the
middlewares build raw ASGI responses with it, without going through Starlette.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_CONTENT_TYPE = b"application/json; charset=utf-8"
HTML_CONTENT_TYPE = b"text/html; charset=utf-8"

#: ``/api/v1/{division}/...``: a division-scoped REST path (rate limited, with headers).
DIVISION_PATH = re.compile(r"^/api/v1/(\d+)(?:/|$)")


def odata_error(message: str) -> bytes:
    """Return the OData error envelope Exact sends, as JSON bytes.

    Args:
        message: The ``error.message.value`` text.
    """
    return orjson.dumps({"error": {"code": "", "message": {"lang": "", "value": message}}})


def division_of(path: str) -> int | None:
    """Return the division number of a ``/api/v1/{division}/...`` path, else ``None``."""
    match = DIVISION_PATH.match(path)
    return int(match.group(1)) if match else None


async def send_response(
    send: Send,
    status: int,
    body: bytes = b"",
    *,
    content_type: bytes | None = JSON_CONTENT_TYPE,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send one complete HTTP response through an ASGI ``send``.

    Args:
        send: The ASGI send callable.
        status: HTTP status code.
        body: The full body (``b""`` for an empty body; ``Content-Length: 0`` is sent).
        content_type: ``Content-Type`` value, or ``None`` for none.
        headers: Extra raw headers.
    """
    raw: list[tuple[bytes, bytes]] = [(b"content-length", str(len(body)).encode())]
    if content_type is not None and body:
        raw.append((b"content-type", content_type))
    raw.extend(headers or [])
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
