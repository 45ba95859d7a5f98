"""`exactonline plan [--json]`: how many calls, and days, the first (initial) load takes.

Exact allows 5,000 calls per division per day and 60 a minute (fact sheet §7); an initial load
of a large administration needs more. Per division and stream the planner counts the rows the
first run would read and turns them into calls: ``ceil(rows / page size)`` (1,000 rows a page on
sync and bulk endpoints, 60 elsewhere; lines read through their entries' ``$expand`` cost the
entries' pages). Rows come from Exact's own counts: ``{endpoint}/$count`` (with the stream's
``Modified ge start_date`` filter where it has one), else ``$inlinecount=allpages`` on one row;
a stream Exact gives no count for is listed with ``rows: null`` and counted as one call. Sync
streams are counted in full (an upper bound when ``start_date`` is set).

The calls are set against the division's daily allowance (``X-RateLimit-Limit``) less
``daily_call_reserve``, starting with what is left today (``X-RateLimit-Remaining``), giving
the days the first load of each division takes; divisions have their own allowances, so the
first load takes as many days as its slowest division. The planner's own calls (one per stream
and division) are included in what is left today.

``--json`` shape::

    {"divisions": [{"division": 3100001, "calls": 612, "rows": 80543, "daily_limit": 5000,
                    "daily_call_reserve": 500, "calls_left_today": 4967, "days": 1,
                    "minutes_at_minutely_limit": 10.2,
                    "streams": [{"stream": "transaction_lines", "endpoint": "...",
                                 "rows": 20000, "page_size": 1000, "calls": 20}, ...]}],
     "refused": [{"division": 3999999, "error": "Exact refused it: HTTP 403 (...)"}],
     "calls": 1224, "days": 1, "parallel_divisions": 4, "hours_at_minutely_limit": 0.1}

Calls are paced within each division's minutely limit (429s are waited out, as the tap does).
"""

from __future__ import annotations

import json
import math
import sys
import typing as t
from collections.abc import Mapping
from typing import Any

import click
import requests

from tap_exactonline import odata
from tap_exactonline.cli.auth import (
    accessible_divisions,
    api_get,
    build_authenticator,
    cli_logger,
    cli_settings,
    current_division,
    one_line_errors,
)
from tap_exactonline.ratelimit import DailyLimitReached, RateLimiter
from tap_exactonline.streamtable import CATALOG, StreamSpec

EXACT_DAILY_LIMIT = 5000
EXACT_MINUTELY_LIMIT = 60


def calls_for(rows: int | None, page_size: int) -> int:
    """Calls to read ``rows`` rows at ``page_size`` a page (at least one: an empty page)."""
    return max(1, math.ceil((rows or 0) / page_size))


def days_for(calls: int, *, limit: int, reserve: int, left_today: int | None) -> int:
    """Days (today counted as the first) to spend ``calls`` within ``limit - reserve`` a day.

    Raises:
        click.ClickException: The reserve leaves no call a day.
    """
    per_day = limit - reserve
    if per_day <= 0:
        raise click.ClickException(
            f"daily_call_reserve {reserve} leaves no call of the daily limit {limit}: lower it")
    today = per_day if left_today is None else max(0, min(per_day, left_today - reserve))
    if calls <= today:
        return 1
    return 1 + math.ceil((calls - today) / per_day)


_LIMITER = RateLimiter()


def _get(auth: Any, division: int, path: str, params: Mapping[str, str] | None,
         headers: dict[str, str]) -> requests.Response:
    """GET within the division's minutely limit (429s waited out, as the tap does)."""
    while True:
        _LIMITER.before_request(division)
        resp = api_get(auth, path, params)
        _LIMITER.after_response(division, resp.status_code, resp.headers)
        headers.update({k: v for k, v in resp.headers.items()
                        if k.lower().startswith("x-ratelimit")})
        if resp.status_code != 429:
            return resp
        _LIMITER.wait_after_429(division, resp.headers)


def _count(auth: Any, division: int, spec: StreamSpec, settings: Mapping[str, Any],
           headers: dict[str, str]) -> int | None:
    """Rows of ``spec``'s endpoint in ``division`` by Exact's counts; None when it gives none."""
    path = f"/api/v1/{division}/{spec.endpoint}"
    params: dict[str, str] = {}
    start = settings.get("start_date")
    if start and spec.family == "modified":
        params["$filter"] = f"Modified ge {odata.amsterdam_filter_datetime(str(start))}"
    resp = _get(auth, division, f"{path}/$count", params or None, headers)
    if resp.status_code == 200 and resp.text.strip().isdigit():
        return int(resp.text.strip())
    if resp.status_code in (401, 403):
        raise _Refused(resp.status_code, resp.headers.get("Reason"))
    resp = _get(auth, division, path, {**params, "$inlinecount": "allpages", "$top": "1",
                                       "$select": spec.key}, headers)
    if resp.status_code == 200:
        try:
            value = resp.json().get("d", {}).get("__count")
            return int(value) if value is not None else None
        except (ValueError, AttributeError):
            return None
    return None


class _Refused(Exception):
    def __init__(self, status: int, reason: str | None) -> None:
        super().__init__(f"HTTP {status}" + (f" (Reason: {reason})" if reason else ""))
        self.status = status


def plan_division(auth: Any, division: int, settings: Mapping[str, Any],
                  specs: list[StreamSpec]) -> dict[str, Any]:
    """The plan of one division (see the module docstring for its shape)."""
    headers: dict[str, str] = {}
    rows_by_endpoint: dict[str, int | None] = {}
    streams: list[dict[str, t.Any]] = []
    for spec in specs:
        if spec.endpoint not in rows_by_endpoint:
            rows_by_endpoint[spec.endpoint] = _count(auth, division, spec, settings, headers)
        rows = rows_by_endpoint[spec.endpoint]
        streams.append({
            "stream": spec.name,
            "endpoint": spec.endpoint,
            "rows": None if spec.expand else rows,
            "page_size": spec.page_size,
            "calls": calls_for(rows, spec.page_size),
        })
    lowered = {k.lower(): v for k, v in headers.items()}
    limit = int(lowered.get("x-ratelimit-limit") or EXACT_DAILY_LIMIT)
    left_raw = lowered.get("x-ratelimit-remaining")
    left = int(left_raw) if left_raw and left_raw.isdigit() else None
    reserve = int(settings.get("daily_call_reserve") or 0)
    calls = sum(s["calls"] for s in streams)
    return {
        "division": division,
        "calls": calls,
        "rows": sum(s["rows"] or 0 for s in streams),
        "daily_limit": limit,
        "daily_call_reserve": reserve,
        "calls_left_today": left,
        "days": days_for(calls, limit=limit, reserve=reserve, left_today=left),
        "minutes_at_minutely_limit": round(calls / EXACT_MINUTELY_LIMIT, 1),
        "streams": streams,
    }


def make_plan(settings: Mapping[str, Any], streams: list[str] | None = None) -> dict[str, Any]:
    """Plan the first load of every division the tap would read (see the module docstring).

    Raises:
        click.ClickException: Settings, token or API errors, unknown streams (one line).
    """
    specs = [s for s in CATALOG if streams is None or s.name in streams]
    unknown = sorted(set(streams or []) - {s.name for s in CATALOG})
    if unknown:
        raise click.ClickException(f"unknown stream(s) {', '.join(unknown)}: see "
                                   "`tap-exactonline --discover` for the stream names")
    auth = build_authenticator(settings, cli_logger("WARNING"))
    with one_line_errors(auth):
        current = current_division(auth)
        if current is None:
            raise click.ClickException("/api/v1/current/Me gave no CurrentDivision")
        divisions = [int(d) for d in settings.get("divisions") or []]
        if settings.get("all_divisions"):
            divisions = sorted(int(r["Code"]) for r in accessible_divisions(auth, current))
        divisions = divisions or [current]
        plans, refused = [], []
        for division in divisions:
            try:
                plans.append(plan_division(auth, division, settings, specs))
            except _Refused as exc:
                refused.append({"division": division, "error": f"Exact refused it: {exc}"})
            except DailyLimitReached as exc:
                raise click.ClickException(f"{exc}: plan again after the reset") from None
    parallel = max(1, int(settings.get("parallel_divisions") or 4))
    minutes = sorted((p["minutes_at_minutely_limit"] for p in plans), reverse=True)
    # divisions in rounds of `parallel`, each round as long as its slowest division
    rounds = sum(minutes[i] for i in range(0, len(minutes), parallel))
    return {
        "divisions": plans,
        "refused": refused,
        "calls": sum(p["calls"] for p in plans),
        "days": max((p["days"] for p in plans), default=0),
        "parallel_divisions": parallel,
        "hours_at_minutely_limit": round(rounds / 60, 2),
    }


@click.command("plan")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON document.")
@click.option("--streams", default=None,
              help="Comma-separated streams to plan (default: every stream of the catalog).")
@click.pass_context
def command(ctx: click.Context, as_json: bool, streams: str | None) -> None:
    """Estimate the calls and days the first load takes, per division and stream."""
    wanted = [s.strip() for s in streams.split(",") if s.strip()] if streams else None
    plan = make_plan(cli_settings(ctx), wanted)
    if as_json:
        sys.stdout.write(json.dumps(plan) + "\n")
        return
    for p in plan["divisions"]:
        click.echo(f"division {p['division']}: {p['calls']:,} calls for {p['rows']:,} rows; "
                   f"{p['calls_left_today'] if p['calls_left_today'] is not None else '?'} of "
                   f"{p['daily_limit']:,} calls left today, reserve {p['daily_call_reserve']}: "
                   f"{p['days']} day(s)")
        for s in p["streams"]:
            rows = "?" if s["rows"] is None else f"{s['rows']:,}"
            click.echo(f"  {s['stream']:<28} {rows:>10} rows  {s['calls']:>6,} calls")
    for r in plan["refused"]:
        click.echo(f"division {r['division']}: not planned: {r['error']}")
    click.echo(f"first load: {plan['calls']:,} calls, {plan['days']} day(s); at least "
               f"{plan['hours_at_minutely_limit']} h at {EXACT_MINUTELY_LIMIT} calls a minute "
               f"with parallel_divisions={plan['parallel_divisions']}")
