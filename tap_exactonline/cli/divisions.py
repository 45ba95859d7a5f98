"""`exactonline divisions [--json]`: the divisions the user may access, and which the token reads.

The list is ``system/Divisions`` of the current division (Exact lists only the divisions the
user may access; fact sheet §3) plus any division the settings name (``divisions``). Each is
then probed with one call, ``/api/v1/{code}/system/Divisions?$filter=Code eq {code}``: a
division the user may access can still be refused to this app (division scoping at consent,
a blocked division), and the 403 ``Reason`` header says why (fact sheet §8). The probe costs
one call of that division's daily allowance (``--no-probe`` skips it).

``--json`` prints one JSON array for orchestrators (the Dagster project in ``orchestration/``
makes one partition per readable division from it)::

    [{"code": 3100001, "name": "Demo BV", "current": true, "readable": true,
      "reason": null, "calls_left_today": 4987}, ...]
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from tap_exactonline.cli.auth import (
    accessible_divisions,
    api_get,
    build_authenticator,
    cli_logger,
    cli_settings,
    current_division,
    one_line_errors,
)
from tap_exactonline.cli.check import forbidden_reason


def probe(auth: Any, code: int) -> tuple[bool, str | None, int | None]:
    """``(readable, reason, calls_left_today)`` of one division, from one cheap call."""
    resp = api_get(auth, f"/api/v1/{code}/system/Divisions",
                   {"$select": "Code", "$filter": f"Code eq {code}"})
    left = resp.headers.get("X-RateLimit-Remaining")
    calls_left = int(left) if left and left.isdigit() else None
    if resp.status_code == 200:
        return True, None, calls_left
    if resp.status_code == 403:
        return False, forbidden_reason(resp.headers), calls_left
    if resp.status_code == 429:
        return False, "rate limit reached (HTTP 429); try again later", calls_left
    return False, f"HTTP {resp.status_code}", calls_left


def list_divisions(settings: dict[str, Any], *, probe_each: bool = True) -> list[dict[str, Any]]:
    """The divisions as JSON-ready dicts (see the module docstring), sorted by code.

    Raises:
        click.ClickException: Settings, token or API errors (one line).
    """
    auth = build_authenticator(settings, cli_logger("WARNING"))
    with one_line_errors(auth):
        current = current_division(auth)
        if current is None:
            raise click.ClickException(
                "/api/v1/current/Me gave no CurrentDivision: run `exactonline auth login`")
        names = {int(r["Code"]): str(r.get("Description") or "")
                 for r in accessible_divisions(auth, current) if r.get("Code") is not None}
        for code in settings.get("divisions") or []:
            names.setdefault(int(code), "")
        out = []
        for code in sorted(names):
            readable, reason, left = probe(auth, code) if probe_each else (True, None, None)
            out.append({"code": code, "name": names[code], "current": code == current,
                        "readable": readable, "reason": reason, "calls_left_today": left})
        return out


@click.command("divisions")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array (for orchestrators).")
@click.option("--no-probe", is_flag=True,
              help="Do not call each division (saves one call per division; `readable` is "
                   "then assumed).")
@click.pass_context
def command(ctx: click.Context, as_json: bool, no_probe: bool) -> None:
    """List the divisions the user may access and whether this app's token can read them."""
    rows = list_divisions(cli_settings(ctx), probe_each=not no_probe)
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    width = max([len("DIVISION"), *(len(str(r["code"])) for r in rows)])
    click.echo(f"{'DIVISION'.ljust(width)}  READABLE  CALLS LEFT  NAME")
    for r in rows:
        readable = "yes" if r["readable"] else "no"
        left = "-" if r["calls_left_today"] is None else str(r["calls_left_today"])
        note = f" ({r['reason']})" if r["reason"] else ""
        current = " [current]" if r["current"] else ""
        click.echo(f"{str(r['code']).ljust(width)}  {readable.ljust(8)}  {left.rjust(10)}  "
                   f"{r['name']}{current}{note}")
