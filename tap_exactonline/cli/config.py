"""Settings for the ``exactonline`` admin command.

The command reads the tap's own settings (DESIGN.md, "Public contracts"), either from the
JSON file given with ``--config`` or from the ``TAP_EXACTONLINE_*`` environment variables
that Meltano sets when it invokes the extractor or the ``exactonline`` utility.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import click

from tap_exactonline.inputs import InputError, divisions_from_environment, read_json_file

ENV_PREFIX = "TAP_EXACTONLINE_"


@dataclass
class CliContext:
    """State shared by the sub-commands of ``exactonline``.

    Attributes:
        config_path: Path of the tap config JSON given with ``--config``, or None.
    """

    config_path: str | None = None
    _settings: dict[str, Any] | None = field(default=None, repr=False)

    def settings(self) -> dict[str, Any]:
        """Return the tap settings, loaded once.

        Returns:
            The settings dict with the tap's setting names as keys.

        Raises:
            click.ClickException: The config file is missing or is not a JSON object (one line).
        """
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


def load_settings(
    config_path: str | None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Load the tap settings from a JSON file or from ``TAP_EXACTONLINE_*`` variables.

    Args:
        config_path: The tap's config JSON; None to read the environment.
        environ: The environment to read (default: ``os.environ``).

    Returns:
        Settings keyed by the tap's setting names. Environment values are parsed with the
        tap's settings schema: arrays and objects as JSON, booleans and integers as such.

    Raises:
        click.ClickException: The file cannot be read or does not hold a JSON object, or an
            environment variable cannot be parsed (one line).
    """
    try:
        if config_path:
            return read_json_file(config_path, "--config")
        return _settings_from_environment(environ)
    except InputError as exc:
        raise click.ClickException(str(exc)) from None


def _settings_from_environment(environ: Mapping[str, str] | None) -> dict[str, Any]:
    """Parse ``TAP_EXACTONLINE_<SETTING>`` variables with the tap's settings schema.

    Uses the SDK's own parser (the one the tap uses with ``--config ENV``), so arrays such as
    ``TAP_EXACTONLINE_DIVISIONS='[3100001, 3100018]'`` and booleans parse the same way.

    Args:
        environ: The variables to read; None reads the process environment.
    """
    from singer_sdk.configuration._dict_config import parse_environment_config

    from tap_exactonline.tap import TapExactOnline

    schema = TapExactOnline.config_jsonschema
    if environ is None:
        environ = dict(os.environ)
    wanted = {k: v for k, v in environ.items() if k.startswith(ENV_PREFIX)}
    divisions_from_environment(wanted)
    saved = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    try:
        for key in saved:
            del os.environ[key]
        os.environ.update(wanted)
        try:
            return dict(parse_environment_config(schema, prefix=ENV_PREFIX))
        except ValueError as exc:  # a JSON array or object variable that is not JSON
            raise InputError(
                f"a {ENV_PREFIX}* variable cannot be parsed ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:80]}): write arrays as JSON, e.g. [3100001]"
            ) from None
    finally:
        for key in wanted:
            os.environ.pop(key, None)
        os.environ.update(saved)
