"""The ``exactonline`` admin command: auth, check, sandbox, webhooks.

Usage::

    exactonline [--config FILE] auth login|status|refresh
    exactonline [--config FILE] check
    exactonline sandbox serve ...
    exactonline [--config FILE] webhooks ...

``--config`` takes the tap's own config JSON. Without it, settings come from the
``TAP_EXACTONLINE_*`` environment variables that Meltano sets for the extractor
(see :func:`tap_exactonline.cli.config.load_settings`).

Each sub-command lives in its own module and is attached here; this module holds no
behaviour of its own.
"""

from __future__ import annotations

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


def _attach_subcommands() -> None:
    """Import each sub-command module and add its click command to :func:`main`."""
    from tap_exactonline.cli import auth, check, sandbox, webhooks

    for module in (auth, check, sandbox, webhooks):
        command = getattr(module, "command", None)
        if command is not None:
            main.add_command(command)


_attach_subcommands()
