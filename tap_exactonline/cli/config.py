"""Settings for the ``exactonline`` admin command.

The command reads the tap's own settings (DESIGN.md, "Public contracts"), either from the
JSON file given with ``--config`` or from the ``TAP_EXACTONLINE_*`` environment variables
that Meltano sets when it invokes the extractor or the ``exactonline`` utility.

The token store: run bare (``exactonline auth status`` in a shell, not through ``meltano
invoke``), the command looks for the Meltano project the way Meltano does (the nearest folder
with a ``meltano.yml``, from the current directory up) and, without a ``token_store_path``,
uses the store the extractor uses for the same settings: ``<project>/.meltano/exactonline/``.
When that store is empty, :func:`other_stores_hint` names the project's other stores of the
same app (another environment's ``token_store_path``, another host) and how to point at one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
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
            return with_project_token_store(read_json_file(config_path, "--config"), environ)
        return with_project_token_store(_settings_from_environment(environ), environ)
    except InputError as exc:
        raise click.ClickException(str(exc)) from None


def meltano_project_root(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Path | None:
    """The Meltano project this command runs in, or None.

    ``MELTANO_PROJECT_ROOT`` (set by Meltano for the plugins it runs), else the nearest folder
    with a ``meltano.yml`` from ``cwd`` up (how ``meltano`` itself finds its project).
    """
    env = os.environ if environ is None else environ
    if env.get("MELTANO_PROJECT_ROOT"):
        return Path(env["MELTANO_PROJECT_ROOT"])
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "meltano.yml").is_file():
            return folder
    return None


def with_project_token_store(
    settings: dict[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``settings`` with the project's token-store folder when none is set and Meltano is absent.

    Under Meltano nothing changes (the store defaults to ``MELTANO_PROJECT_ROOT``). Run bare in
    a project's sub-folder, the default would otherwise be that sub-folder's ``.meltano/``, a
    store no Meltano run ever fills.
    """
    env = os.environ if environ is None else environ
    if settings.get("token_store_path") or env.get("MELTANO_PROJECT_ROOT"):
        return settings
    root = meltano_project_root(env)
    if root is None:
        return settings
    return {**settings, "token_store_path": f"{root / '.meltano' / 'exactonline'}{os.sep}"}


def other_stores_hint(
    settings: Mapping[str, Any], looked_at: str, environ: Mapping[str, str] | None = None
) -> str:
    """What to do when the store at ``looked_at`` is empty: a clause naming other stores.

    Lists the project's token-store files of the same app (``token-<client id>-*.fernet`` under
    ``.meltano/exactonline/``) other than ``looked_at``: left behind by another environment's
    ``token_store_path`` or written for another host. Never reads or decrypts them.

    Returns:
        "" when there is nothing else to suggest; otherwise text starting with "; ".
    """
    root = meltano_project_root(environ)
    client = re.sub(r"[^A-Za-z0-9_-]", "_", str(settings.get("client_id") or ""))[:64]
    folder = (root / ".meltano" / "exactonline") if root else None
    if not client or folder is None or not folder.is_dir():
        return ""
    found = sorted(
        str(path) for path in folder.rglob(f"token-{client}-*.fernet")
        if path.is_file() and str(path) != looked_at
    )
    if not found:
        return ""
    return (f"; this project has other token stores of this app: {', '.join(found)}: run the "
            "command the way you logged in (e.g. `meltano --environment=dev invoke "
            "exactonline:auth_status`), or set TAP_EXACTONLINE_TOKEN_STORE_PATH to one of them")


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
