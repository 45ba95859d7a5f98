"""`exactonline webhooks serve|events|subscribe|list|unsubscribe`: near-real-time runs.

* ``serve [--host 127.0.0.1] [--port 8766]``: the receiver (``POST /webhooks/exactonline``,
  ``GET /webhooks/health``) and its debounced trigger; needs the ``[webhooks]`` extra, imported
  only here, when the command runs.
* ``events [--json] [--pending]``: the audit trail of the event store: received time,
  EventCreatedOn, division, topic, key, action, the run that took the event and its outcome.
* ``subscribe --callback-url URL [--topic T ...] [--division N ... | --all-divisions]``,
  ``list``, ``unsubscribe [ID ... | --all]``: this app's ``webhooks/WebhookSubscriptions`` per
  division (fact sheet §9). Idempotent: a subscription of the same topic and callback URL is
  kept, not duplicated.

Settings (``--config`` or ``TAP_EXACTONLINE_*``): ``webhook_secret``, ``webhook_event_store``,
``webhook_debounce_seconds``, ``webhook_command`` (see docs/webhooks.md). Failures end with one
line on stderr and exit code 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click
import requests

from tap_exactonline.auth import (
    ExactOnlineAuthenticator,
    ReauthorizationRequired,
    TokenEndpointError,
)
from tap_exactonline.cli.auth import (
    accessible_divisions,
    api_request,
    build_authenticator,
    cli_logger,
    cli_settings,
    current_division,
    error_message,
    odata_rows,
)
from tap_exactonline.webhooks import topics
from tap_exactonline.webhooks.settings import WebhookSettings, WebhookSettingsError

if TYPE_CHECKING:
    from tap_exactonline.webhooks.store import EventStore

DEFAULT_PORT = 8766
SUBSCRIPTIONS = "/api/v1/{division}/webhooks/WebhookSubscriptions"
DESCRIPTION = "tap-exactonline near-real-time runs"
_LOG_LEVELS = click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False)


@click.group("webhooks")
def command() -> None:
    """Receive Exact Online webhooks and run incremental extracts of what changed."""


def _webhook_settings(ctx: click.Context, *, need_secret: bool) -> WebhookSettings:
    try:
        return WebhookSettings.from_settings(cli_settings(ctx), need_secret=need_secret)
    except WebhookSettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _open_store(location: str) -> EventStore:
    from tap_exactonline.webhooks.store import EventStore, EventStoreError

    try:
        return EventStore(location)
    except EventStoreError as exc:
        raise click.ClickException(str(exc)) from None


# -- serve ----------------------------------------------------------------------------------------
@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface; keep loopback and put an HTTPS reverse proxy in front.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port.")
@click.option("--log-level", default="INFO", show_default=True, type=_LOG_LEVELS,
              help="Level of the receiver's lines on stderr (secrets are never logged).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, log_level: str) -> None:
    """Receive notifications on POST /webhooks/exactonline until SIGTERM or Ctrl-C."""
    settings = _webhook_settings(ctx, need_secret=True)
    try:
        settings.resolved_command()
    except WebhookSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        from tap_exactonline.webhooks.server import serve as serve_receiver
    except ImportError as exc:
        raise click.ClickException(
            f"the webhook receiver needs its extra ({exc.name} is missing): "
            "pip install 'tap-exactonline-finance[webhooks]'") from None
    store = _open_store(settings.event_store)
    logger = cli_logger(log_level)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Exact Online webhook receiver on http://{shown}:{port}/webhooks/exactonline - "
               f"event store {store.location}, debounce {settings.debounce_seconds:g} s, "
               f"runs `{' '.join(settings.command)}` in {settings.workdir}", err=True)
    uvicorn_level = "info" if log_level.upper() == "DEBUG" else "warning"
    if not serve_receiver(settings, store, host=host, port=port, logger=logger,
                          log_level=uvicorn_level):
        sys.exit(1)
    click.echo("Exact Online webhook receiver stopped", err=True)


# -- events ---------------------------------------------------------------------------------------
@command.command("events")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@click.option("--pending", is_flag=True, help="Only events waiting for a run.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1),
              help="Newest events to show.")
@click.pass_context
def events(ctx: click.Context, as_json: bool, pending: bool, limit: int) -> None:
    """List stored events (newest first) with the run that handled each and its outcome."""
    from tap_exactonline.webhooks.store import iso_utc

    settings = _webhook_settings(ctx, need_secret=False)
    store = _open_store(settings.event_store)
    try:
        rows = store.events(pending_only=pending, limit=limit)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([row.as_dict() for row in rows], indent=2))
        return
    table = [("RECEIVED (UTC)", "EVENT CREATED ON", "DIVISION", "TOPIC", "KEY", "ACTION",
              "STATUS", "RUN", "OUTCOME")]
    for row in rows:
        table.append((iso_utc(row.received_at)[:19].replace("T", " "), row.EventCreatedOn,
                      str(row.Division), row.Topic, row.Key, row.Action, row.status,
                      str(row.run_id or "-"), row.run_outcome or "-"))
    _print_table(table)
    if not rows:
        click.echo("(no events)" if not pending else "(no pending events)")


# -- subscriptions --------------------------------------------------------------------------------
def _division_options(func: Any) -> Any:
    func = click.option("--all-divisions", is_flag=True,
                        help="Every division the user can access.")(func)
    return click.option("--division", "divisions", multiple=True, type=int,
                        help="Division code (repeatable). Default: the configured divisions.")(
        func)


def _session(ctx: click.Context) -> ExactOnlineAuthenticator:
    logger = cli_logger("WARNING")
    return build_authenticator(cli_settings(ctx), logger)


def _target_divisions(auth: ExactOnlineAuthenticator, settings: Mapping[str, Any],
                      divisions: Iterable[int], all_divisions: bool) -> list[int]:
    """--division, else --all-divisions, else the settings' divisions/all_divisions/current."""
    chosen = sorted(set(divisions))
    if chosen and all_divisions:
        raise click.UsageError("give --division or --all-divisions, not both")
    if chosen:
        return chosen
    configured = [int(d) for d in settings.get("divisions") or []]
    if configured and not all_divisions:
        return configured
    current = current_division(auth)
    if current is None:
        raise click.ClickException("/api/v1/current/Me returned no CurrentDivision: "
                                   "pass --division")
    if all_divisions or settings.get("all_divisions"):
        return sorted(int(r["Code"]) for r in accessible_divisions(auth, current))
    return [current]


def _subscriptions(auth: ExactOnlineAuthenticator, division: int) -> list[dict[str, Any]]:
    resp = api_request(auth, "GET", SUBSCRIPTIONS.format(division=division))
    if resp.status_code != 200:
        raise click.ClickException(
            f"cannot list the webhook subscriptions of division {division}: "
            f"{error_message(resp)}")
    return odata_rows(resp)


def _api_errors(func: Any) -> Any:
    """Token and network failures as one line, exit 1."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ReauthorizationRequired, TokenEndpointError) as exc:
            raise click.ClickException(str(exc)) from None
        except requests.RequestException as exc:
            raise click.ClickException(
                f"cannot reach Exact Online ({type(exc).__name__}): check base_url/region "
                "and the network") from None

    wrapper.__doc__ = func.__doc__
    wrapper.__name__ = func.__name__
    return wrapper


@command.command("subscribe")
@click.option("--callback-url", required=True,
              help="The receiver's public HTTPS URL, ending in /webhooks/exactonline.")
@click.option("--topic", "topic_names", multiple=True,
              help="Exact topic (repeatable). Default: every topic a stream of the tap reads.")
@_division_options
@click.pass_context
@_api_errors
def subscribe(ctx: click.Context, callback_url: str, topic_names: tuple[str, ...],
              divisions: tuple[int, ...], all_divisions: bool) -> None:
    """Subscribe the callback URL to the topics in each division (existing ones are kept)."""
    wanted = list(dict.fromkeys(topic_names)) or sorted(topics.TOPIC_STREAMS)
    known = set(topics.TOPIC_STREAMS) | topics.UNMAPPED_TOPICS
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise click.UsageError(f"unknown topic {unknown[0]!r}; Exact's topics: "
                               f"{', '.join(sorted(known))}")
    url = urlsplit(callback_url)
    if url.scheme not in ("https", "http") or not url.netloc:
        raise click.UsageError("--callback-url must be an https:// URL")
    if url.scheme == "http":
        click.echo("Warning: Exact Online accepts only HTTPS callback URLs; plain http works "
                   "with the local sandbox only", err=True)
    for name in wanted:
        if name in topics.UNMAPPED_TOPICS:
            click.echo(f"Warning: no stream of the tap reads topic {name}: its events are "
                       "stored but trigger no run", err=True)
    auth = _session(ctx)
    failed = 0
    table = [("DIVISION", "TOPIC", "RESULT", "ID")]
    for division in _target_divisions(auth, cli_settings(ctx), divisions, all_divisions):
        existing = _subscriptions(auth, division)
        for name in wanted:
            same = [s for s in existing if s.get("Topic") == name]
            if any(s.get("CallbackURL") == callback_url for s in same):
                match = next(s for s in same if s.get("CallbackURL") == callback_url)
                table.append((str(division), name, "kept (already subscribed)",
                              str(match.get("ID"))))
                continue
            if same:
                failed += 1
                table.append((str(division), name,
                              f"FAILED: already subscribed to {same[0].get('CallbackURL')}; "
                              f"unsubscribe {same[0].get('ID')} first", "-"))
                continue
            resp = api_request(auth, "POST", SUBSCRIPTIONS.format(division=division), json={
                "CallbackURL": callback_url, "Topic": name, "Description": DESCRIPTION})
            if resp.status_code in (200, 201):
                created = odata_rows(resp)
                table.append((str(division), name, "created",
                              str(created[0].get("ID") if created else "?")))
            else:
                failed += 1
                table.append((str(division), name, f"FAILED: {error_message(resp)}", "-"))
    _print_table(table)
    if failed:
        click.echo(f"Error: {failed} subscription(s) failed (see the table)", err=True)
        sys.exit(1)


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@_division_options
@click.pass_context
@_api_errors
def list_subscriptions(ctx: click.Context, as_json: bool, divisions: tuple[int, ...],
                       all_divisions: bool) -> None:
    """List this app's webhook subscriptions per division."""
    auth = _session(ctx)
    found = []
    for division in _target_divisions(auth, cli_settings(ctx), divisions, all_divisions):
        found += [{"ID": s.get("ID"), "Division": s.get("Division", division),
                   "Topic": s.get("Topic"), "CallbackURL": s.get("CallbackURL"),
                   "Description": s.get("Description")}
                  for s in _subscriptions(auth, division)]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    table = [("ID", "DIVISION", "TOPIC", "CALLBACK URL")]
    table += [(str(s["ID"]), str(s["Division"]), str(s["Topic"]), str(s["CallbackURL"]))
              for s in found]
    _print_table(table)
    if not found:
        click.echo("(no subscriptions)")


@command.command("unsubscribe")
@click.argument("ids", nargs=-1)
@click.option("--all", "remove_all", is_flag=True,
              help="Every subscription of this app in the divisions.")
@_division_options
@click.pass_context
@_api_errors
def unsubscribe(ctx: click.Context, ids: tuple[str, ...], remove_all: bool,
                divisions: tuple[int, ...], all_divisions: bool) -> None:
    """Delete subscriptions by ID, or all of them (--all)."""
    if bool(ids) == remove_all:
        raise click.UsageError("give subscription IDs or --all (one of the two)")
    wanted = {i.lower() for i in ids}
    auth = _session(ctx)
    deleted, failed = [], []
    for division in _target_divisions(auth, cli_settings(ctx), divisions, all_divisions):
        for sub in _subscriptions(auth, division):
            sub_id = str(sub.get("ID", "")).lower()
            if not remove_all and sub_id not in wanted:
                continue
            resp = api_request(auth, "DELETE",
                               f"{SUBSCRIPTIONS.format(division=division)}(guid'{sub_id}')")
            if resp.status_code in (200, 204, 404):
                deleted.append(sub_id)
                click.echo(f"deleted {sub_id} (division {division}, topic {sub.get('Topic')})")
            else:
                failed.append(f"{sub_id}: {error_message(resp)}")
    missing = sorted(wanted - set(deleted))
    if missing:
        failed.append(f"no subscription {', '.join(missing)} in those divisions")
    if not deleted and remove_all:
        click.echo("(no subscriptions)")
    if failed:
        click.echo(f"Error: {'; '.join(failed)}", err=True)
        sys.exit(1)


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
