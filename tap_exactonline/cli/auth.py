"""`exactonline auth login|status|refresh`: onboarding and keep-alive of the OAuth tokens.

* ``login``: the authorization-code flow (fact sheet §2): prints (and opens, where a browser
  exists) ``{base}/api/oauth2/auth?...``, receives the redirect on a local listener
  (``--redirect-uri``, default ``http://localhost:8765/callback``), URL-decodes the code (it
  contains ``!``), exchanges it within its 3 minutes, fills the token store and lists the
  divisions the user can reach.
* ``status``: token ages, the date the refresh token dies if unused, current and accessible
  divisions. Never prints a token.
* ``refresh``: a keep-alive refresh for a weekly schedule (a refresh token dies after 30 days
  unused); does nothing when the access token is younger than 570 s.

Failures end with one line on stderr and exit code 1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import logging
import os
import secrets
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click
import requests

from tap_exactonline.auth import (
    LOGIN_COMMAND,
    MIN_AGE_FRACTION,
    ExactOnlineAuthenticator,
    ReauthorizationRequired,
    TokenEndpointError,
    refresh_due_at,
    refresh_token_dies_at,
)
from tap_exactonline.cli.config import CliContext, load_settings, other_stores_hint
from tap_exactonline.regions import UnknownRegionError
from tap_exactonline.tokenstore import TokenRecord, TokenStoreError

DEFAULT_REDIRECT_URI = "http://localhost:8765/callback"
API_TIMEOUT = (10.0, 60.0)


# -- helpers shared with `exactonline check` ---------------------------------------------------
def cli_logger(level: str = "INFO") -> logging.Logger:
    """A logger writing ``LEVEL message`` lines to stderr (no secrets are ever logged)."""
    logger = logging.getLogger("exactonline")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level.upper())
    return logger


def build_authenticator(
    settings: Mapping[str, Any], logger: logging.Logger
) -> ExactOnlineAuthenticator:
    """``ExactOnlineAuthenticator.from_settings`` with setting errors as one-line CLI errors.

    Raises:
        click.ClickException: A setting is missing or wrong, or the store cannot be opened.
    """
    try:
        return ExactOnlineAuthenticator.from_settings(settings, logger=logger)
    except (ValueError, UnknownRegionError, TokenStoreError) as exc:
        raise click.ClickException(str(exc)) from None


def api_get(
    auth: ExactOnlineAuthenticator, path: str, params: Mapping[str, str] | None = None
) -> requests.Response:
    """GET ``{base}{path}`` with the shared token (see :func:`api_request`)."""
    return api_request(auth, "GET", path, params=params)


def api_request(
    auth: ExactOnlineAuthenticator,
    method: str,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    json: Any = None,
) -> requests.Response:
    """``method {base}{path}`` with the shared token; after a 401, refresh once and retry once.

    Raises:
        ReauthorizationRequired: No refresh token works any more.
        TokenEndpointError: The token endpoint failed.
        requests.RequestException: The host cannot be reached.
    """
    url = f"{auth.base_url}{path}"
    headers = {"Accept": "application/json"}
    resp = requests.request(method, url, params=params, json=json, auth=auth, headers=headers,
                            timeout=API_TIMEOUT)
    if resp.status_code == 401:
        auth.handle_unauthorized(resp.request)
        resp = requests.request(method, url, params=params, json=json, auth=auth,
                                headers=headers, timeout=API_TIMEOUT)
    return resp


def error_message(resp: requests.Response) -> str:
    """``HTTP 400: <Exact's message>`` from the OData error envelope (fact sheet §8)."""
    try:
        body = resp.json()
        value = body["error"]["message"]["value"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {resp.status_code}"
    return f"HTTP {resp.status_code}: {' '.join(str(value).split())[:160]}"


@contextlib.contextmanager
def one_line_errors(auth: ExactOnlineAuthenticator) -> Iterator[None]:
    """Token, token-store and connection errors as one-line CLI errors; closes the store.

    Raises:
        click.ClickException: What went wrong and what to do, in one line.
    """
    try:
        yield
    except (ReauthorizationRequired, TokenEndpointError, TokenStoreError) as exc:
        raise click.ClickException(str(exc)) from None
    except requests.RequestException as exc:
        raise click.ClickException(
            f"cannot reach Exact Online ({type(exc).__name__}): check base_url/region") from None
    finally:
        auth.store.close()


def odata_rows(resp: requests.Response) -> list[dict[str, Any]]:
    """The rows of an OData verbose JSON answer (``d.results``, or ``d`` for one entity)."""
    body = resp.json()
    data = body.get("d", {}) if isinstance(body, dict) else {}
    if isinstance(data, dict) and "results" in data:
        return list(data["results"])
    return [data] if isinstance(data, dict) and data else []


def current_division(auth: ExactOnlineAuthenticator) -> int | None:
    """``CurrentDivision`` of ``/api/v1/current/Me`` (fact sheet §3), None when unavailable."""
    resp = api_get(auth, "/api/v1/current/Me", {"$select": "CurrentDivision"})
    if resp.status_code != 200:
        return None
    rows = odata_rows(resp)
    return int(rows[0]["CurrentDivision"]) if rows and rows[0].get("CurrentDivision") else None


def accessible_divisions(auth: ExactOnlineAuthenticator, current: int) -> list[dict[str, Any]]:
    """Rows ``{Code, Description}`` of ``system/Divisions`` (only divisions the user may access).

    Raises:
        click.ClickException: The API answered with an error status.
    """
    resp = api_get(auth, f"/api/v1/{current}/system/Divisions",
                   {"$select": "Code,Description"})
    if resp.status_code != 200:
        raise click.ClickException(
            f"could not list divisions: /api/v1/{current}/system/Divisions answered "
            f"HTTP {resp.status_code}")
    return odata_rows(resp)


def utc(epoch: float | None) -> str:
    """``YYYY-MM-DD HH:MM:SS UTC`` or ``-``."""
    if epoch is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


# -- the click group ----------------------------------------------------------------------------
@click.group("auth")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Log level of messages on stderr (tokens are never logged).")
@click.pass_context
def command(ctx: click.Context, log_level: str) -> None:
    """Authorize the Exact Online app and keep its rotating refresh token alive."""
    ctx.meta["exactonline.log_level"] = log_level


def cli_settings(ctx: click.Context) -> dict[str, Any]:
    """The tap settings from ``--config`` or the ``TAP_EXACTONLINE_*`` environment.

    The environment is passed as a copy: ``load_settings`` swaps ``os.environ`` while parsing.
    """
    cli = ctx.ensure_object(CliContext)
    if cli.config_path:
        return cli.settings()
    return load_settings(None, environ=dict(os.environ))


def _authenticator(ctx: click.Context) -> ExactOnlineAuthenticator:
    logger = cli_logger(ctx.meta.get("exactonline.log_level", "INFO"))
    return build_authenticator(cli_settings(ctx), logger)


class _Callback:
    """What the local listener received: the code (URL-decoded) or an error."""

    def __init__(self, path: str, state: str) -> None:
        self.path = path
        self.state = state
        self.code: str | None = None
        self.error: str | None = None
        self.done = threading.Event()


def _handler_for(callback: _Callback) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != callback.path:
                self._answer(404, "Not the OAuth callback of exactonline auth login.")
                return
            params = parse_qs(parts.query)  # URL-decodes: the code contains "!"
            if params.get("state", [""])[0] != callback.state:
                self._answer(400, "State mismatch: start `exactonline auth login` again.")
                callback.error = "the redirect carried a wrong state (not our login request)"
            elif "code" in params:
                # Codes never contain spaces: a space is a "+" that was not percent-encoded.
                callback.code = params["code"][0].replace(" ", "+")
                self._answer(200, "Exact Online authorized. You can close this window.")
            else:
                reason = params.get("error_description", params.get("error", ["no code"]))[0]
                callback.error = f"Exact Online did not authorize the app ({reason[:200]})"
                self._answer(400, "Authorization failed; see the terminal.")
            callback.done.set()

        def _answer(self, status: int, text: str) -> None:
            body = f"<html><body><p>{text}</p></body></html>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Log nothing: the request line holds the authorization code."""

    return Handler


@command.command("login")
@click.option("--redirect-uri", default=DEFAULT_REDIRECT_URI, show_default=True,
              help="Redirect URI registered for the app in the Exact App Center (http, local).")
@click.option("--no-browser", is_flag=True, help="Only print the URL; do not open a browser.")
@click.option("--timeout", "timeout_seconds", default=300.0, show_default=True, type=float,
              help="Seconds to wait for the browser to come back.")
@click.pass_context
def login(ctx: click.Context, redirect_uri: str, no_browser: bool, timeout_seconds: float) -> None:
    """Authorize in a browser and fill the token store (authorization-code flow)."""
    auth = _authenticator(ctx)
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or not parts.hostname:
        raise click.BadParameter(
            "the local listener needs an http:// URI such as http://localhost:8765/callback",
            param_hint="--redirect-uri")
    callback = _Callback(parts.path or "/", secrets.token_urlsafe(24))
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    try:
        server = http.server.HTTPServer((host, parts.port or 80), _handler_for(callback))
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {parts.hostname}:{parts.port or 80} ({exc.strerror}): "
            "choose another --redirect-uri (and register it for the app)") from None
    server.timeout = 0.5
    url = auth.authorization_url(redirect_uri, callback.state)
    click.echo("Open this URL in a browser, log in to Exact Online and allow access:")
    click.echo(f"  {url}")
    click.echo(f"Waiting for the redirect to {redirect_uri} ...")
    sys.stdout.flush()
    if not no_browser:
        with contextlib.suppress(webbrowser.Error):
            webbrowser.open(url)
    deadline = time.monotonic() + timeout_seconds
    try:
        while not callback.done.is_set() and time.monotonic() < deadline:
            server.handle_request()
    finally:
        server.server_close()
    if callback.error:
        _fail(callback.error)
    if not callback.code:
        _fail(f"no redirect arrived within {timeout_seconds:.0f} s: run `{LOGIN_COMMAND}` again")
    try:
        record = auth.exchange_code(callback.code or "", redirect_uri)
    except (ReauthorizationRequired, TokenEndpointError, TokenStoreError) as exc:
        _fail(str(exc))
        return
    click.echo(f"Authorized. Tokens saved in {auth.store.location}")
    click.echo(f"The refresh token dies if unused on {utc(refresh_token_dies_at(record))}: "
               "schedule `exactonline auth refresh` weekly.")
    _print_divisions(auth)


def _print_divisions(auth: ExactOnlineAuthenticator) -> None:
    try:
        current = current_division(auth)
        if current is None:
            click.echo("Current division: unknown (/api/v1/current/Me gave no CurrentDivision)")
            return
        click.echo(f"Current division: {current}")
        rows = accessible_divisions(auth, current)
    except (click.ClickException, requests.RequestException, ValueError) as exc:
        message = exc.format_message() if isinstance(exc, click.ClickException) else (
            type(exc).__name__)
        click.echo(f"Divisions: not available ({message})")
        return
    click.echo(f"Accessible divisions ({len(rows)}):")
    for row in rows:
        click.echo(f"  {row.get('Code')}  {row.get('Description') or ''}".rstrip())


@command.command("status")
@click.option("--offline", is_flag=True, help="Only read the token store; call no API.")
@click.pass_context
def status(ctx: click.Context, offline: bool) -> None:
    """Show token ages, when the refresh token dies unused, and the reachable divisions."""
    auth = _authenticator(ctx)
    try:
        record = auth.stored_record()
    except TokenStoreError as exc:
        _fail(str(exc))
        return
    click.echo(f"Token store: {auth.store.location}")
    if record is None or not record.refresh_token:
        hint = other_stores_hint(cli_settings(ctx), auth.store.location)
        _fail(f"the token store {auth.store.location} holds no tokens{hint}; "
              f"or run `{LOGIN_COMMAND}`")
        return
    _print_record(record)
    if offline:
        return
    try:
        _print_divisions(auth)
    except (ReauthorizationRequired, TokenEndpointError) as exc:
        _fail(str(exc))


def _print_record(record: TokenRecord) -> None:
    now = time.time()
    if record.access_token and record.access_token_issued_at is not None:
        age = now - record.access_token_issued_at
        left = (record.access_token_expires_at or now) - now
        state = f"valid {left:.0f} s more" if left > 0 else "expired"
        click.echo(f"Access token: issued {utc(record.access_token_issued_at)} "
                   f"({age:.0f} s ago), {state}")
    else:
        click.echo("Access token: none")
    dies = refresh_token_dies_at(record)
    click.echo(f"Refresh token: issued {utc(record.refresh_token_issued_at)}")
    if dies is not None:
        days_left = (dies - now) / 86400
        click.echo(f"Refresh token dies if unused on: {utc(dies)} (in {days_left:.1f} days)")
        if days_left < 5:
            click.echo("WARNING: the refresh token is older than 25 days: run "
                       "`exactonline auth refresh` now and schedule it weekly", err=True)
    click.echo(f"Last refresh: {utc(record.last_refresh_at)}")


@command.command("refresh")
@click.pass_context
def refresh(ctx: click.Context) -> None:
    """Keep-alive: refresh the tokens (run weekly; a refresh token dies after 30 days unused)."""
    auth = _authenticator(ctx)
    try:
        record, outcome = auth.refresh(respect_min_age=True)
    except (ReauthorizationRequired, TokenEndpointError, TokenStoreError) as exc:
        _fail(str(exc))
        return
    dies = utc(refresh_token_dies_at(record))
    if outcome == "too_young":
        age = time.time() - (record.access_token_issued_at or 0.0)
        wait = refresh_due_at(record) - time.time()
        min_age = MIN_AGE_FRACTION * (record.access_token_lifetime or 600.0)
        click.echo(
            f"The access token is {age:.0f} s old: Exact allows a new one only {min_age:.0f} s "
            f"after the last (about {max(wait, 0):.0f} s from now). Nothing to do; the refresh "
            f"token was issued {utc(record.refresh_token_issued_at)} and dies if unused on {dies}.")
    elif outcome == "too_early":
        click.echo("Exact Online answered 'access_token not expired': tokens kept; "
                   f"the refresh token dies if unused on {dies}.")
    else:
        click.echo(f"Refreshed. The new refresh token dies if unused on {dies}.")
