"""`exactonline sandbox serve`: run the local Exact Online sandbox (one process, loopback).

Example::

    exactonline sandbox serve --seed 7 --divisions 2 --rows 2000 --refresh-token seed   # :8780

The API, OAuth and control API (``/_sandbox/...``) share one host, as on Exact Online.
The default port, 8780, is not the port ``exactonline auth login`` listens on for the OAuth
redirect (8765), so both run side by side with their defaults. The app's secrets may come
from environment variables (``EXACTONLINE_SANDBOX_CLIENT_ID``, ``..._CLIENT_SECRET``,
``..._REFRESH_TOKEN``, ``..._WEBHOOK_SECRET``) instead of the command line, where every user
of the machine can read them. See docs/sandbox.md.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime

import click

from exactonline_sandbox.options import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_WEBHOOK_SECRET,
    SandboxOptions,
)

#: Default port; differs from the OAuth redirect port of ``exactonline auth login`` (8765).
DEFAULT_PORT = 8780
_POSITIVE = click.IntRange(min=1)
_NON_NEGATIVE = click.IntRange(min=0)
_SECONDS = click.FloatRange(min=0, min_open=True)

# Expected when a fault cuts a response short on purpose; not worth an error line each.
_FAULT_NOISE = ("ASGI callable returned without completing response",)


class _QuietFaults(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(text in record.getMessage() for text in _FAULT_NOISE)


def _server_class() -> type:
    import uvicorn

    class _Server(uvicorn.Server):
        """uvicorn's server, but a SIGTERM/SIGINT after a graceful shutdown exits 0.

        uvicorn re-raises the caught signal once it has shut down; the sandbox has already
        closed its World (lifespan shutdown) by then, so a plain exit is the honest outcome.
        """

        def handle_exit(self, sig: int, frame: object) -> None:
            super().handle_exit(sig, frame)  # type: ignore[arg-type]
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

    return _Server


@click.group(name="sandbox")
def command() -> None:
    """Run the local Exact Online sandbox (API, OAuth, webhooks, control API)."""


@command.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (loopback by default; the sandbox has no TLS).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (not 8765: that is where `exactonline auth login` waits).")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Seed of the generated data: same seed, same data.")
@click.option("--divisions", default=2, show_default=True, type=_POSITIVE,
              help="Accessible divisions (codes 3100001 + i*17); 3999999 exists without access.")
@click.option("--rows", default=10000, show_default=True, type=_POSITIVE,
              help="Transaction lines per division; other tables scale with it.")
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
              help="SQLite file for the data and the OAuth state (logins, token chain, grant "
                   "times), which then survive a restart (default: a temporary file).")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Day the generated data ends (YYYY-MM-DD; aging and financial years count "
                   "from it). Default: today, or the date an existing --db was built for.")
@click.option("--minute-seconds", default=60.0, show_default=True, type=_SECONDS,
              help="Length in real seconds of a rate-limit minute window (e.g. 1 in tests).")
@click.option("--minutely-limit", default=60, show_default=True, type=_POSITIVE,
              help="Calls per division and app per minute window, then 429.")
@click.option("--daily-limit", default=5000, show_default=True, type=_POSITIVE,
              help="Calls per division and app per UTC day, then 429.")
@click.option("--no-limits", is_flag=True,
              help="Never answer 429 (headers still sent with a limit of 1,000,000,000).")
@click.option("--access-token-seconds", default=600.0, show_default=True, type=_SECONDS,
              help="Access-token lifetime; a refresh before 95% of it is refused (401).")
@click.option("--refresh-token-days", default=30.0, show_default=True, type=_SECONDS,
              help="Days an unused refresh token stays valid.")
@click.option("--token-calls-per-day", default=200, show_default=True, type=_POSITIVE,
              help="Token-endpoint calls allowed per app per UTC day.")
@click.option("--code-seconds", default=180.0, show_default=True, type=_SECONDS,
              help="Lifetime of an authorization code (single use).")
@click.option("--client-id", default=DEFAULT_CLIENT_ID, show_default=True,
              envvar="EXACTONLINE_SANDBOX_CLIENT_ID",
              help="Client id of the sandbox's one registered app (env "
                   "EXACTONLINE_SANDBOX_CLIENT_ID).")
@click.option("--client-secret", default=DEFAULT_CLIENT_SECRET,
              envvar="EXACTONLINE_SANDBOX_CLIENT_SECRET",
              help="Client secret of that app (default: sandbox-client-secret; env "
                   "EXACTONLINE_SANDBOX_CLIENT_SECRET).")
@click.option("--refresh-token", default=None, envvar="EXACTONLINE_SANDBOX_REFRESH_TOKEN",
              help="Make this value a valid refresh token at start unless the --db database "
                   "already knows it (rotates on first use; env "
                   "EXACTONLINE_SANDBOX_REFRESH_TOKEN).")
@click.option("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET,
              envvar="EXACTONLINE_SANDBOX_WEBHOOK_SECRET",
              help="Key of the HashCode HMAC in notifications (default: sandbox-webhook-secret; "
                   "env EXACTONLINE_SANDBOX_WEBHOOK_SECRET).")
@click.option("--webhook-retries", default=3, show_default=True, type=_NON_NEGATIVE,
              help="Retries of a notification whose callback does not answer 2xx.")
@click.option("--webhook-validation", is_flag=True,
              help="POST an empty body to a new CallbackURL; refuse it unless it answers 2xx.")
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Delay every API answer (/api/...) by this many milliseconds, as Exact's "
                   "own latency does (a few hundred ms).")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              help="uvicorn log level (info adds one line per request).")
def serve(host: str, port: int, db_path: str | None, as_of: datetime | None, no_limits: bool,
          log_level: str, **options: object) -> None:
    """Serve the sandbox until SIGTERM or Ctrl-C.

    API, OAuth (/api/oauth2/auth, /api/oauth2/token) and webhooks share one host, as on
    Exact Online; the control API is under /_sandbox/ (stats, faults, clock, truth, mutate).
    See docs/sandbox.md.
    """
    try:
        import uvicorn

        from exactonline_sandbox.app import Sandbox
    except ImportError as exc:
        raise click.ClickException(
            f"the sandbox needs its extra ({exc.name} is missing): "
            "pip install 'tap-exactonline-finance[sandbox]'"
        ) from None
    try:
        sandbox = Sandbox(SandboxOptions(db_path=db_path, limits_enabled=not no_limits,
                                         as_of=as_of.date() if as_of else None,
                                         **options))  # type: ignore[arg-type]
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot build the sandbox data: {exc}") from exc
    logging.getLogger("uvicorn.error").addFilter(_QuietFaults())
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Exact Online sandbox on http://{shown_host}:{port} - {sandbox.describe()}",
               err=True)
    config = uvicorn.Config(sandbox, host=host, port=port, log_level=log_level,
                            access_log=log_level in ("info", "debug"), lifespan="on",
                            http="h11", ws="none", timeout_graceful_shutdown=5)
    server = _server_class()(config)
    try:
        server.run()
    finally:
        sandbox.close()
    if not server.started:
        sys.exit(1)
    click.echo("Exact Online sandbox stopped", err=True)
