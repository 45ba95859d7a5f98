"""Settings of the ``bi-refresh`` utility: from a ``--config`` JSON file and ``BI_REFRESH_*`` env.

Meltano passes a utility's settings as environment variables named after its namespace
(``bi_refresh``): the setting ``powerbi_client_id`` arrives as ``BI_REFRESH_POWERBI_CLIENT_ID``,
arrays arrive as JSON text. A ``--config FILE`` JSON object with the same (lowercase) keys takes
precedence over the environment; keys it lacks fall back to the environment, then to defaults.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "BI_REFRESH_"

#: Every setting: name -> (kind, default). Kinds: string, secret, integer, boolean, array.
SETTINGS: dict[str, tuple[str, Any]] = {
    "timeout_seconds": ("integer", 3600),
    "poll_seconds": ("integer", 15),
    "ca_bundle": ("string", ""),
    "powerbi_tenant_id": ("string", ""),
    "powerbi_client_id": ("string", ""),
    "powerbi_client_secret": ("secret", ""),
    "powerbi_authority_url": ("string", "https://login.microsoftonline.com"),
    "powerbi_api_url": ("string", "https://api.powerbi.com"),
    "powerbi_datasets": ("array", []),
    "tableau_server_url": ("string", ""),
    "tableau_site": ("string", ""),
    "tableau_token_name": ("string", ""),
    "tableau_token_secret": ("secret", ""),
    "tableau_api_version": ("string", ""),
    "tableau_datasources": ("array", []),
    "tableau_workbooks": ("array", []),
    "tableau_incremental": ("boolean", False),
    "looker_base_url": ("string", ""),
    "looker_client_id": ("string", ""),
    "looker_client_secret": ("secret", ""),
    "looker_datagroups": ("array", []),
    "looker_pdts": ("array", []),
    "looker_scheduled_plans": ("array", []),
}


class SettingsError(Exception):
    """A setting is missing or malformed; ``str(exc)`` is one line saying what to fix."""


@dataclass(frozen=True)
class DatasetRef:
    """A Power BI dataset (semantic model) in a workspace: ``group_id`` and ``dataset_id`` GUIDs."""

    group_id: str
    dataset_id: str

    def __str__(self) -> str:
        return f"{self.group_id}/{self.dataset_id}"


@dataclass(frozen=True)
class ModelRef:
    """A Looker object inside a LookML model: ``model::name`` (a datagroup or a PDT's view)."""

    model: str
    name: str

    def __str__(self) -> str:
        return f"{self.model}::{self.name}"


@dataclass(frozen=True)
class Common:
    """Settings shared by every tool.

    Attributes:
        timeout_seconds: longest wait per tool for all its refreshes together (seconds).
        poll_seconds: pause between two status polls (seconds; Tableau polls with its own
            exponential backoff from 0.5 s instead).
        ca_bundle: PEM file of extra certificate authorities for HTTPS (e.g. a company proxy),
            or ``""`` for the system defaults.
    """

    timeout_seconds: float = 3600
    poll_seconds: float = 15
    ca_bundle: str = ""

    @property
    def verify(self) -> str | bool:
        """The ``verify`` argument for requests: the CA bundle path, or True."""
        return self.ca_bundle or True


@dataclass(frozen=True)
class PowerBISettings:
    """Power BI service principal and the datasets to refresh."""

    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    authority_url: str = "https://login.microsoftonline.com"
    api_url: str = "https://api.powerbi.com"
    datasets: tuple[DatasetRef, ...] = ()


@dataclass(frozen=True)
class TableauSettings:
    """Tableau personal access token and the datasources/workbooks (LUIDs or names) to refresh."""

    server_url: str = ""
    site: str = ""
    token_name: str = ""
    token_secret: str = ""
    api_version: str = ""
    datasources: tuple[str, ...] = ()
    workbooks: tuple[str, ...] = ()
    incremental: bool = False


@dataclass(frozen=True)
class LookerSettings:
    """Looker API3 client credentials and the actions to run."""

    base_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    datagroups: tuple[ModelRef, ...] = ()
    pdts: tuple[ModelRef, ...] = ()
    scheduled_plans: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """All settings of one ``bi-refresh`` run."""

    common: Common = field(default_factory=Common)
    powerbi: PowerBISettings = field(default_factory=PowerBISettings)
    tableau: TableauSettings = field(default_factory=TableauSettings)
    looker: LookerSettings = field(default_factory=LookerSettings)
    secrets: tuple[str, ...] = ()

    def configured_tools(self) -> list[str]:
        """Tools with at least one item to refresh, in the order they run."""
        tools = []
        if self.powerbi.datasets:
            tools.append("powerbi")
        if self.tableau.datasources or self.tableau.workbooks:
            tools.append("tableau")
        if self.looker.datagroups or self.looker.pdts or self.looker.scheduled_plans:
            tools.append("looker")
        return tools

    def half_configured_tools(self) -> dict[str, list[str]]:
        """Tools with a connection setting but nothing to refresh: tool -> the settings set.

        ``all`` skips them (it refreshes what is configured); ``check`` reports them, since a
        credential without an item is usually an item forgotten.
        """
        connection = {
            "powerbi": {"powerbi_tenant_id": self.powerbi.tenant_id,
                        "powerbi_client_id": self.powerbi.client_id,
                        "powerbi_client_secret": self.powerbi.client_secret},
            "tableau": {"tableau_server_url": self.tableau.server_url,
                        "tableau_site": self.tableau.site,
                        "tableau_token_name": self.tableau.token_name,
                        "tableau_token_secret": self.tableau.token_secret},
            "looker": {"looker_base_url": self.looker.base_url,
                       "looker_client_id": self.looker.client_id,
                       "looker_client_secret": self.looker.client_secret},
        }
        configured = self.configured_tools()
        return {
            tool: [name for name, value in values.items() if value]
            for tool, values in connection.items()
            if tool not in configured and any(values.values())
        }


def env_name(setting: str) -> str:
    """``powerbi_client_id`` -> ``BI_REFRESH_POWERBI_CLIENT_ID`` (the variable Meltano sets)."""
    return ENV_PREFIX + setting.upper()


def _coerce(name: str, kind: str, value: Any) -> Any:
    """Convert a raw value (JSON or env text) to the setting's kind; SettingsError when invalid."""
    if kind in ("string", "secret"):
        return "" if value is None else str(value).strip()
    if kind == "integer":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{name} must be a number of seconds, got {value!r}") from None
        if number <= 0:
            raise SettingsError(f"{name} must be greater than 0, got {value!r}")
        return number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes", "y", "on")
    # array: a JSON list, or comma-separated text
    if isinstance(value, list):
        return value
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            raise SettingsError(f"{name} is not a valid JSON array: fix {env_name(name)}") from None
        if not isinstance(parsed, list):
            raise SettingsError(f"{name} must be an array")
        return parsed
    return [part.strip() for part in text.split(",") if part.strip()]


def _datasets(values: list[Any]) -> tuple[DatasetRef, ...]:
    refs = []
    for value in values:
        if isinstance(value, Mapping):
            group, dataset = value.get("group_id", ""), value.get("dataset_id", "")
        else:
            group, _, dataset = str(value).partition("/")
        if not group or not dataset:
            raise SettingsError(
                f"powerbi_datasets entry {value!r} must be 'GROUP_ID/DATASET_ID' "
                "or {\"group_id\": ..., \"dataset_id\": ...}"
            )
        refs.append(DatasetRef(str(group).strip(), str(dataset).strip()))
    return tuple(refs)


def _model_refs(name: str, values: list[Any]) -> tuple[ModelRef, ...]:
    refs = []
    for value in values:
        if isinstance(value, Mapping):
            model = value.get("model", "")
            item = value.get("view") or value.get("datagroup") or value.get("name", "")
        else:
            model, _, item = str(value).partition("::")
        if not model or not item:
            raise SettingsError(f"{name} entry {value!r} must be 'MODEL::NAME'")
        refs.append(ModelRef(str(model).strip(), str(item).strip()))
    return tuple(refs)


def load_settings(
    config_path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read every setting from ``config_path`` (JSON object) and ``environ`` (``os.environ``).

    Raises:
        SettingsError: the file is unreadable or not a JSON object, or a value is malformed.
    """
    environ = os.environ if environ is None else environ
    file_values: dict[str, Any] = {}
    if config_path:
        path = Path(config_path)
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read --config {path}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise SettingsError(f"--config {path} is not valid JSON (line {exc.lineno})") from None
        if not isinstance(loaded, dict):
            raise SettingsError(f"--config {path} must hold a JSON object")
        unknown = sorted(set(loaded) - set(SETTINGS))
        if unknown:
            raise SettingsError(f"--config {path}: unknown setting(s) {', '.join(unknown)}")
        file_values = loaded

    values: dict[str, Any] = {}
    for name, (kind, default) in SETTINGS.items():
        if name in file_values and file_values[name] is not None:
            raw = file_values[name]
        elif environ.get(env_name(name), "") != "":
            raw = environ[env_name(name)]
        else:
            values[name] = default
            continue
        values[name] = _coerce(name, kind, raw)

    v = values
    settings = Settings(
        common=Common(v["timeout_seconds"], v["poll_seconds"], v["ca_bundle"]),
        powerbi=PowerBISettings(
            tenant_id=v["powerbi_tenant_id"],
            client_id=v["powerbi_client_id"],
            client_secret=v["powerbi_client_secret"],
            authority_url=v["powerbi_authority_url"].rstrip("/"),
            api_url=v["powerbi_api_url"].rstrip("/"),
            datasets=_datasets(v["powerbi_datasets"]),
        ),
        tableau=TableauSettings(
            server_url=v["tableau_server_url"].rstrip("/"),
            site=v["tableau_site"],
            token_name=v["tableau_token_name"],
            token_secret=v["tableau_token_secret"],
            api_version=v["tableau_api_version"],
            datasources=tuple(str(x).strip() for x in v["tableau_datasources"]),
            workbooks=tuple(str(x).strip() for x in v["tableau_workbooks"]),
            incremental=v["tableau_incremental"],
        ),
        looker=LookerSettings(
            base_url=v["looker_base_url"].rstrip("/"),
            client_id=v["looker_client_id"],
            client_secret=v["looker_client_secret"],
            datagroups=_model_refs("looker_datagroups", v["looker_datagroups"]),
            pdts=_model_refs("looker_pdts", v["looker_pdts"]),
            scheduled_plans=tuple(str(x).strip() for x in v["looker_scheduled_plans"]),
        ),
        secrets=tuple(
            str(v[name]) for name, (kind, _) in SETTINGS.items() if kind == "secret" and v[name]
        ),
    )
    return settings


def require(tool: str, pairs: Mapping[str, str]) -> None:
    """Raise SettingsError naming the first empty setting among ``pairs`` (name -> value).

    Args:
        tool: the tool name for the message (``powerbi``, ``tableau``, ``looker``).
        pairs: setting name -> its value.
    """
    for name, value in pairs.items():
        if not value:
            raise SettingsError(
                f"{tool}: setting {name} is empty: set {env_name(name)} "
                f"(meltano config bi-refresh set {name} ...) or put it in --config"
            )
