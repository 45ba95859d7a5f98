"""Serve the receiver with uvicorn (needs the ``[webhooks]`` extra)."""

from __future__ import annotations

import logging

import uvicorn

from tap_exactonline.webhooks.app import create_app
from tap_exactonline.webhooks.settings import WebhookSettings
from tap_exactonline.webhooks.store import EventStore


class _Server(uvicorn.Server):
    """uvicorn's server; a SIGTERM/SIGINT after a graceful shutdown ends with exit status 0.

    uvicorn re-raises a caught signal once it has shut down; the receiver has closed its store
    and recorded any interrupted run by then (lifespan shutdown), so a plain exit is honest.
    """

    def handle_exit(self, sig: int, frame: object) -> None:
        super().handle_exit(sig, frame)  # type: ignore[arg-type]
        captured = getattr(self, "_captured_signals", None)
        if isinstance(captured, list):
            captured.clear()


def serve(settings: WebhookSettings, store: EventStore, *, host: str, port: int,
          logger: logging.Logger, log_level: str = "warning") -> bool:
    """Serve until SIGTERM or Ctrl-C.

    Args:
        settings: Checked webhook settings.
        store: The opened event store (opened by the caller, so a bad store is a one-line
            error before anything listens).
        host: Interface; keep loopback behind an HTTPS reverse proxy (docs/webhooks.md).
        port: TCP port (0 picks a free one).
        logger: Receives the receiver's and trigger's lines.
        log_level: uvicorn's level (``info`` logs one line per request).

    Returns:
        False when the server could not start (e.g. the port is taken).
    """
    app = create_app(settings, store=store, logger=logger)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            access_log=log_level in ("info", "debug"), lifespan="on",
                            ws="none", timeout_graceful_shutdown=5, server_header=False)
    server = _Server(config)
    server.run()
    return bool(server.started)
