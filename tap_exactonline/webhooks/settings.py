"""The webhook settings (DESIGN.md public contracts), read from the tap's settings.

``webhook_secret``, ``webhook_event_store``, ``webhook_debounce_seconds`` and
``webhook_command`` live in the tap's settings schema (``tap_exactonline/tap.py``), so they come
from the same ``--config`` file or ``TAP_EXACTONLINE_*`` variables as every other setting.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tap_exactonline.tokenstore import is_sql_url

DEFAULT_DEBOUNCE_SECONDS = 30.0
#: What a trigger runs when ``webhook_command`` is empty: the project's extract-load into
#: DuckDB (the demo and dev environments; ``meltano.yml`` sets the prod loader).
DEFAULT_COMMAND = "meltano run tap-exactonline target-duckdb"
#: Retries of a failed run wait ``debounce * 2**(n-1)`` seconds, at most this long.
MAX_RETRY_SECONDS = 3600.0


class WebhookSettingsError(ValueError):
    """A webhook setting is missing or wrong (one line: which, and what to do)."""


def project_root(environ: Mapping[str, str] | None = None) -> Path:
    """The Meltano project (``MELTANO_PROJECT_ROOT``, set for plugins), else the cwd."""
    env = os.environ if environ is None else environ
    return Path(env.get("MELTANO_PROJECT_ROOT") or Path.cwd())


def default_event_store(environ: Mapping[str, str] | None = None) -> Path:
    """``<project>/.meltano/exactonline/webhook-events[-<environment>].sqlite``."""
    env = os.environ if environ is None else environ
    suffix = f"-{env['MELTANO_ENVIRONMENT']}" if env.get("MELTANO_ENVIRONMENT") else ""
    return project_root(env) / ".meltano" / "exactonline" / f"webhook-events{suffix}.sqlite"


@dataclass(frozen=True)
class WebhookSettings:
    """The receiver's settings, checked.

    Attributes:
        secret: The app's webhook secret (App Center "Webhook secret"; HMAC key of HashCode).
        event_store: File path or SQLAlchemy URL of the event store.
        debounce_seconds: How long pending events are gathered before one run starts.
        command: argv of what a trigger runs (``webhook_command`` split like a shell would).
        workdir: Where the command runs (the Meltano project).
        run_log_dir: One output file per triggered run.
    """

    secret: str
    event_store: str
    debounce_seconds: float
    command: tuple[str, ...]
    workdir: Path
    run_log_dir: Path

    def __repr__(self) -> str:
        return (f"WebhookSettings(secret=<hidden>, event_store={self.event_store!r}, "
                f"debounce_seconds={self.debounce_seconds}, command={self.command!r})")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, need_secret: bool = True,
                      environ: Mapping[str, str] | None = None) -> WebhookSettings:
        """Build from tap settings.

        Args:
            settings: The tap settings (``--config`` file or ``TAP_EXACTONLINE_*``).
            need_secret: Refuse an empty ``webhook_secret`` (the receiver needs it; reading
                the event log does not).
            environ: Environment for the Meltano project defaults (default ``os.environ``).

        Raises:
            WebhookSettingsError: A setting is missing or wrong.
        """
        env = os.environ if environ is None else environ
        secret = str(settings.get("webhook_secret") or "")
        if need_secret and not secret:
            raise WebhookSettingsError(
                "webhook_secret is not set: copy the app's Webhook secret from the Exact App "
                "Center into TAP_EXACTONLINE_WEBHOOK_SECRET (it is not the client secret)")
        store = str(settings.get("webhook_event_store") or default_event_store(env))
        raw_debounce = settings.get("webhook_debounce_seconds")
        try:
            debounce = float(DEFAULT_DEBOUNCE_SECONDS if raw_debounce in (None, "")
                             else raw_debounce)
        except (TypeError, ValueError):
            debounce = -1.0
        if not 0 <= debounce <= 86400:
            raise WebhookSettingsError(
                f"webhook_debounce_seconds must be a number of seconds from 0 to 86400, "
                f"not {raw_debounce!r}")
        text = str(settings.get("webhook_command") or DEFAULT_COMMAND)
        try:
            argv = tuple(shlex.split(text))
        except ValueError as exc:
            raise WebhookSettingsError(f"webhook_command cannot be split into words: {exc}") \
                from None
        if not argv:
            raise WebhookSettingsError("webhook_command is empty: name the command to run")
        root = project_root(env)
        if is_sql_url(store):
            log_dir = default_event_store(env).parent / "webhook-runs"
        else:
            log_dir = Path(store).expanduser().parent / "webhook-runs"
        return cls(secret=secret, event_store=store, debounce_seconds=debounce,
                   command=argv, workdir=root, run_log_dir=log_dir)

    def resolved_command(self) -> list[str]:
        """``command`` with its program found on PATH.

        Raises:
            WebhookSettingsError: The program does not exist.
        """
        program = self.command[0]
        found = shutil.which(program)
        if found is None:
            raise WebhookSettingsError(
                f"webhook_command: {program!r} is not found on PATH: install it or give its "
                "full path in webhook_command")
        return [found, *self.command[1:]]
