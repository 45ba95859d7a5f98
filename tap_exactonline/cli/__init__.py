"""The ``exactonline`` admin command: auth, check, and the sub-commands other packages add.

Usage::

    exactonline [--config FILE] auth login|status|refresh
    exactonline [--config FILE] check
    exactonline [--config FILE] divisions [--json]
    exactonline [--config FILE] plan [--json]
    exactonline sandbox serve ...
    exactonline [--config FILE] webhooks serve|events|subscribe|list|unsubscribe

``--config`` takes the tap's own config JSON. Without it, settings come from the
``TAP_EXACTONLINE_*`` environment variables that Meltano sets for the extractor
(see :func:`tap_exactonline.cli.config.load_settings`).

Each sub-command lives in its own module and is attached here; this module holds no
behaviour of its own.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from tap_exactonline.cli.config import CliContext


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The tap's config JSON. Default: TAP_EXACTONLINE_* environment variables.",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Administer tap-exactonline: OAuth tokens, preflight checks, sandbox, webhooks."""
    ctx.obj = CliContext(config_path=config_path)


#: Entry-point group of sub-commands that other packages add (``exactonline sandbox`` comes
#: from ``exactonline_sandbox.cli``); the tap itself imports none of them.
COMMAND_GROUP = "exactonline.commands"


def _attach_subcommands() -> None:
    """Add the tap's own sub-commands, then those registered under :data:`COMMAND_GROUP`."""
    from tap_exactonline.cli import auth, check, divisions, plan, webhooks

    for module in (auth, check, divisions, plan, webhooks):
        main.add_command(module.command)
    for entry_point in entry_points(group=COMMAND_GROUP):
        if entry_point.name not in main.commands:
            main.add_command(entry_point.load(), name=entry_point.name)


_attach_subcommands()
