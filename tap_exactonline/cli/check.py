"""`exactonline check`: the preflight a new user runs first.

Checks, in order, and prints one table row per check (``CHECK  RESULT  DETAIL``):

1. settings: ``client_id``, ``client_secret``, region or ``base_url``;
2. token store: readable (decrypts with the configured key) and writable (checked without
   creating anything: `check` writes the store only when it must redeem refresh_token);
3. host: the region's host answers HTTP;
4. tokens: a valid access token (reused or refreshed; never printed);
5. current division (``/api/v1/current/Me``);
6. each configured division (``divisions``; none = the current division; ``all_divisions`` =
   every division of ``system/Divisions``): accessible, with a 403 ``Reason`` header decoded
   into words (fact sheet §8), and the API calls left today from ``X-RateLimit-*`` (§7).

Exits 1 with the first failure's reason on stderr when a check fails. Also a Meltano utility
command: ``meltano invoke exactonline check``. Further checks (e.g. a ``--target`` for the
loader) append :class:`CheckRow` values to the list :func:`run_checks` returns.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click
import requests

from tap_exactonline.auth import (
    ExactOnlineAuthenticator,
    ReauthorizationRequired,
    TokenEndpointError,
    refresh_due_at,
    refresh_token_dies_at,
)
from tap_exactonline.cli.auth import (
    api_get,
    build_authenticator,
    cli_logger,
    cli_settings,
    current_division,
    error_message,
    odata_rows,
    utc,
)
from tap_exactonline.cli.config import other_stores_hint
from tap_exactonline.tokenstore import TokenStoreError, TokenStoreUnreadable

FORBIDDEN_REASONS = {
    "BlockedUser": "the Exact user is blocked",
    "InactiveUser": "the Exact user is inactive",
    "BlockedCustomer": "the Exact customer (licence holder) is blocked",
    "LicenseExpired": "the Exact Online licence has expired",
    "DivisionBlocked": "the division is blocked",
    "NoDivisionAccess": "the user has no access to this division "
                        "(user rights, or division scoping at consent)",
}
"""Exact's 403 ``Reason`` header values (Exact docs quoted in picqer PR #451) in words."""

OK, FAIL, WARN, SKIP = "OK", "FAIL", "WARN", "SKIP"


@dataclass
class CheckRow:
    """One line of the table: ``name`` (what), ``result`` (OK/FAIL/WARN/SKIP), ``detail``."""

    name: str
    result: str
    detail: str


def target_rows(target: str) -> list[CheckRow]:
    """Rows of the warehouse preflight of ``target`` (:mod:`tap_exactonline.cli.check_targets`).

    Loader settings come from ``TARGET_<TARGET>_*`` variables when any are set, else from the
    Meltano project (``meltano config print target-<target>``).
    """
    from tap_exactonline.cli.check_targets import (
        check_target,
        loader_settings_from_env,
        loader_settings_from_meltano,
    )

    settings: Mapping[str, Any] = loader_settings_from_env(target)
    if not settings:
        try:
            settings = loader_settings_from_meltano(target)
        except RuntimeError as exc:
            return [CheckRow(f"{target} settings", FAIL, str(exc))]
    results = {"ok": OK, "warn": WARN, "fail": FAIL}
    return [
        CheckRow(f"{target} {r.name}", results.get(r.status, FAIL), r.message)
        for r in check_target(target, settings)
    ]


def forbidden_reason(headers: Mapping[str, str]) -> str:
    """Words for a 403's ``Reason`` header (``no Reason header`` when absent)."""
    reason = headers.get("Reason", "")
    if not reason:
        return "access denied (no Reason header)"
    return FORBIDDEN_REASONS.get(reason, f"access denied (Reason: {reason[:60]})")


def calls_left(headers: Mapping[str, str]) -> str:
    """``X-RateLimit-Remaining of Limit calls left today (reset ...)`` or ``-``."""
    remaining, limit = headers.get("X-RateLimit-Remaining"), headers.get("X-RateLimit-Limit")
    if remaining is None or limit is None:
        return "calls left today: unknown (no X-RateLimit headers)"
    reset = headers.get("X-RateLimit-Reset")
    when = ""
    if reset and reset.isdigit():
        when = f", resets {utc(int(reset) / 1000)}"  # epoch milliseconds (fact sheet §7)
    return f"{remaining} of {limit} calls left today{when}"


def _check_store(auth: ExactOnlineAuthenticator, has_seed: bool) -> CheckRow:
    """Readable with the configured key, and writable, checked without creating anything."""
    store = auth.store
    try:
        record = store.load()
    except TokenStoreUnreadable as exc:
        return CheckRow("token store", WARN if has_seed else FAIL, f"{exc}; " + (
            "the configured refresh_token will be used" if has_seed
            else "run `exactonline auth login`"))
    except TokenStoreError as exc:
        return CheckRow("token store", FAIL, str(exc))
    problem = store.write_problem()
    if problem:
        return CheckRow("token store", FAIL, f"{store.location}: {problem}")
    state = "empty (the configured refresh_token seeds it)" if record is None else "holds tokens"
    return CheckRow("token store", OK, f"{store.location} readable and writable, {state}")


def _check_host(base_url: str) -> CheckRow:
    try:
        resp = requests.get(base_url, timeout=(10, 30), allow_redirects=False)
    except requests.RequestException as exc:
        return CheckRow("host", FAIL, f"{base_url} unreachable ({type(exc).__name__})")
    return CheckRow("host", OK, f"{base_url} answers (HTTP {resp.status_code})")


def _check_tokens(auth: ExactOnlineAuthenticator) -> CheckRow:
    try:
        auth.access_token()
    except (ReauthorizationRequired, TokenEndpointError, TokenStoreError) as exc:
        return CheckRow("tokens", FAIL, str(exc))
    record = auth.stored_record()
    if record is None:
        return CheckRow("tokens", OK, "access token obtained")
    dies = refresh_token_dies_at(record)
    detail = (f"access token valid (refresh due {utc(refresh_due_at(record))}); refresh "
              f"token dies if unused on {utc(dies)}")
    if dies is not None and dies - time.time() < 5 * 86400:
        return CheckRow("tokens", WARN, detail + ": run `exactonline auth refresh` weekly")
    return CheckRow("tokens", OK, detail)


def _store_is_empty(auth: ExactOnlineAuthenticator) -> bool:
    try:
        return auth.stored_record() is None
    except TokenStoreError:
        return False


def _check_division(auth: ExactOnlineAuthenticator, division: int) -> CheckRow:
    name = f"division {division}"
    try:
        resp = api_get(auth, f"/api/v1/{division}/system/Divisions",
                       {"$select": "Code,Description", "$filter": f"Code eq {division}"})
    except (ReauthorizationRequired, TokenEndpointError) as exc:
        return CheckRow(name, FAIL, str(exc))
    except requests.RequestException as exc:
        return CheckRow(name, FAIL, f"unreachable ({type(exc).__name__})")
    if resp.status_code == 403:
        return CheckRow(name, FAIL, f"HTTP 403: {forbidden_reason(resp.headers)}")
    if resp.status_code == 429:
        return CheckRow(name, FAIL, f"rate limit reached (HTTP 429); {calls_left(resp.headers)}")
    if resp.status_code != 200:
        return CheckRow(name, FAIL, error_message(resp))
    rows = odata_rows(resp)
    description = next((str(r.get("Description") or "") for r in rows
                        if str(r.get("Code")) == str(division)), "")
    label = f"{description}; " if description else ""
    return CheckRow(name, OK, f"{label}accessible; {calls_left(resp.headers)}")


def _divisions_to_check(
    auth: ExactOnlineAuthenticator, settings: Mapping[str, Any], current: int
) -> list[int]:
    configured = [int(d) for d in settings.get("divisions") or []]
    if configured:
        return configured
    if settings.get("all_divisions"):
        resp = api_get(auth, f"/api/v1/{current}/system/Divisions", {"$select": "Code"})
        if resp.status_code == 200:
            return [int(r["Code"]) for r in odata_rows(resp) if r.get("Code") is not None]
    return [current]


def run_checks(settings: Mapping[str, Any], *, log_level: str = "WARNING") -> list[CheckRow]:
    """Run the checks in order; later checks are SKIPped once a prerequisite failed.

    Returns:
        The table rows; any row with result FAIL makes the command exit 1.
    """
    rows: list[CheckRow] = []
    try:
        auth = build_authenticator(settings, cli_logger(log_level))
    except click.ClickException as exc:
        return [CheckRow("settings", FAIL, exc.format_message())]
    rows.append(CheckRow("settings", OK, f"client_id set, host {auth.base_url}"))
    rows.append(_check_store(auth, has_seed=bool(settings.get("refresh_token"))))
    rows.append(_check_host(auth.base_url))
    if rows[-1].result == FAIL:
        return [*rows, CheckRow("tokens", SKIP, "host unreachable")]
    rows.append(_check_tokens(auth))
    if rows[-1].result == FAIL and _store_is_empty(auth):
        hint = other_stores_hint(settings, auth.store.location)
        rows[-1] = CheckRow("tokens", FAIL, rows[-1].detail + hint)
    if rows[-1].result == FAIL:
        return [*rows, CheckRow("divisions", SKIP, "no access token")]
    try:
        current = current_division(auth)
    except (ReauthorizationRequired, TokenEndpointError, requests.RequestException) as exc:
        return [*rows, CheckRow("current division", FAIL, str(exc)[:200])]
    if current is None:
        return [*rows, CheckRow("current division", FAIL,
                                "/api/v1/current/Me returned no CurrentDivision")]
    rows.append(CheckRow("current division", OK, str(current)))
    with contextlib.suppress(requests.RequestException, ValueError):
        for division in _divisions_to_check(auth, settings, current):
            rows.append(_check_division(auth, division))
    auth.store.close()
    return rows


def print_table(rows: list[CheckRow]) -> None:
    """Print ``CHECK  RESULT  DETAIL`` with aligned columns."""
    width = max(len("CHECK"), *(len(r.name) for r in rows))
    click.echo(f"{'CHECK'.ljust(width)}  RESULT  DETAIL")
    for row in rows:
        click.echo(f"{row.name.ljust(width)}  {row.result.ljust(6)}  {row.detail}")


@click.command("check")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Log level of messages on stderr (tokens are never logged).")
@click.option("--target", "targets", multiple=True, type=click.Choice(["bigquery", "snowflake"]),
              help="Also check a warehouse loader (repeatable): BigQuery dataset, jobs and "
                   "rights; Snowflake key-pair login and warehouse AUTO_RESUME. Loader settings "
                   "from TARGET_<NAME>_* variables, else `meltano config print target-<name>`.")
@click.pass_context
def command(ctx: click.Context, log_level: str, targets: tuple[str, ...]) -> None:
    """Preflight: credentials, token store, host, divisions and API calls left today."""
    rows = run_checks(cli_settings(ctx), log_level=log_level)
    for target in targets:
        rows += target_rows(target)
    print_table(rows)
    failed = [r for r in rows if r.result == FAIL]
    if failed:
        click.echo(f"Error: check failed: {failed[0].name}: {failed[0].detail}", err=True)
        sys.exit(1)
