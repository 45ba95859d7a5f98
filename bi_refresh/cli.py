"""The ``bi-refresh`` command: refresh Power BI, Tableau and Looker after a load.

Usage::

    bi-refresh [--config FILE] powerbi|tableau|looker|all
    bi-refresh [--config FILE] check [powerbi|tableau|looker ...]

Exit codes: 0 every refresh ended ok; 1 a refresh failed, timed out, hit a limit, or an item is
missing; 2 the settings are incomplete or invalid (one line on stderr says which).
The summary table goes to stdout; progress logs go to stderr. No secret reaches either.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from collections.abc import Callable
from typing import cast

import click

from bi_refresh.settings import Settings, SettingsError, env_name, load_settings, require
from bi_refresh.summary import (
    FAILED,
    Outcome,
    Redactor,
    one_line,
    redacted_logging,
    render_table,
)

TOOLS = ("powerbi", "tableau", "looker")
logger = logging.getLogger("bi_refresh")

Runner = Callable[..., list[Outcome]]


def _runner(tool: str, action: str) -> Runner:
    """``refresh`` or ``check`` of a tool module, imported only when that tool runs.

    looker-sdk alone takes a third of a second to import; a Power BI-only job skips it.
    """
    module = importlib.import_module(f"bi_refresh.{tool}")
    return cast(Runner, getattr(module, action))


ITEM_SETTINGS = {
    "powerbi": "powerbi_datasets",
    "tableau": "tableau_datasources or tableau_workbooks",
    "looker": "looker_datagroups, looker_pdts or looker_scheduled_plans",
}


def _credentials(settings: Settings, tool: str) -> dict[str, str]:
    if tool == "powerbi":
        p = settings.powerbi
        return {
            "powerbi_tenant_id": p.tenant_id,
            "powerbi_client_id": p.client_id,
            "powerbi_client_secret": p.client_secret,
        }
    if tool == "tableau":
        t = settings.tableau
        return {
            "tableau_server_url": t.server_url,
            "tableau_token_name": t.token_name,
            "tableau_token_secret": t.token_secret,
        }
    lk = settings.looker
    return {
        "looker_base_url": lk.base_url,
        "looker_client_id": lk.client_id,
        "looker_client_secret": lk.client_secret,
    }


def _tool_settings(settings: Settings, tool: str) -> object:
    return {"powerbi": settings.powerbi, "tableau": settings.tableau, "looker": settings.looker}[
        tool
    ]


def _info(message: str) -> None:
    """One INFO line on stderr, formatted like the progress log."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    click.echo(f"{stamp} INFO bi_refresh: {message}", err=True)


def _fail(message: str) -> None:
    click.echo(f"bi-refresh: {message}", err=True)
    sys.exit(2)


def _run(ctx: click.Context, tools: list[str], action: str, *, strict: bool) -> None:
    """Validate settings for ``tools``, run each, print the summary, exit with the outcome.

    Args:
        ctx: click context holding the ``--config`` path.
        tools: the tools asked for.
        action: ``refresh`` or ``check``.
        strict: a named tool without items is an error (False for ``all``: skip it).
    """
    try:
        settings = load_settings(ctx.obj["config"])
    except SettingsError as exc:
        _fail(str(exc))
        return
    redactor = Redactor(settings.secrets)
    configured = settings.configured_tools()
    selected = [t for t in tools if t in configured]
    if strict:
        for tool in tools:
            if tool not in configured:
                _fail(f"{tool}: nothing to refresh: set {ITEM_SETTINGS[tool]}")
    half = {t: names for t, names in settings.half_configured_tools().items() if t in tools}
    if action == "check" and half:
        tool, names = next(iter(half.items()))
        _fail(
            f"{tool}: half configured: {', '.join(names)} set but no {ITEM_SETTINGS[tool]}: "
            "add the items to refresh, or remove the tool's settings"
        )
    if not selected and action == "refresh":
        # `all` in a job (`... dbt-bigquery:build bi-refresh:all`) with no BI tool set up:
        # the load and the models succeeded, so this step must not fail the job.
        skipped = f" ({', '.join(half)} without items, skipped)" if half else ""
        _info(
            f"no BI tool configured{skipped}: nothing to refresh; set {ITEM_SETTINGS['powerbi']}"
            f", {ITEM_SETTINGS['tableau']} or {ITEM_SETTINGS['looker']} to refresh one"
        )
        sys.exit(0)
    if not selected:
        _fail(
            "nothing to check: configure at least one of powerbi_datasets, "
            "tableau_datasources, tableau_workbooks, looker_datagroups, looker_pdts, "
            f"looker_scheduled_plans (env {env_name('powerbi_datasets')}, ...)"
        )
    try:
        for tool in selected:
            require(tool, _credentials(settings, tool))
    except SettingsError as exc:
        _fail(str(exc))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    outcomes: list[Outcome] = []
    with redacted_logging(redactor):
        for tool in selected:
            logger.info("%s: starting", tool)
            try:
                outcomes.extend(
                    _runner(tool, action)(
                        _tool_settings(settings, tool), settings.common, logger
                    )
                )
            except SettingsError as exc:
                _fail(redactor(str(exc)))
            except Exception as exc:  # a library error we did not foresee: report, go on
                logger.debug("%s failed", tool, exc_info=True)
                outcomes.append(
                    Outcome(tool, "(run)", FAILED, 0.0, f"{type(exc).__name__}: {one_line(exc)}")
                )
    root.removeHandler(handler)
    click.echo(render_table(outcomes, redactor))
    sys.exit(0 if all(o.succeeded for o in outcomes) else 1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help="JSON file of settings (keys as in meltano.yml); BI_REFRESH_* env fills the rest.",
)
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Refresh Power BI datasets, Tableau extracts and Looker caches, and wait for the outcome."""
    ctx.obj = {"config": config}


@main.command("powerbi")
@click.pass_context
def powerbi_command(ctx: click.Context) -> None:
    """Refresh every dataset in powerbi_datasets and wait until each one ends."""
    _run(ctx, ["powerbi"], "refresh", strict=True)


@main.command("tableau")
@click.pass_context
def tableau_command(ctx: click.Context) -> None:
    """Refresh every datasource and workbook extract and wait for each job."""
    _run(ctx, ["tableau"], "refresh", strict=True)


@main.command("looker")
@click.pass_context
def looker_command(ctx: click.Context) -> None:
    """Trigger datagroups, rebuild PDTs (and wait), run scheduled plans once."""
    _run(ctx, ["looker"], "refresh", strict=True)


@main.command("all")
@click.pass_context
def all_command(ctx: click.Context) -> None:
    """Refresh every tool that has items configured (Power BI, then Tableau, then Looker)."""
    _run(ctx, list(TOOLS), "refresh", strict=False)


@main.command("check")
@click.argument("tools", nargs=-1, type=click.Choice(TOOLS))
@click.pass_context
def check_command(ctx: click.Context, tools: tuple[str, ...]) -> None:
    """Preflight: credentials work and every configured item exists (no refresh starts)."""
    _run(ctx, list(tools) or list(TOOLS), "check", strict=bool(tools))


if __name__ == "__main__":  # pragma: no cover
    main()
