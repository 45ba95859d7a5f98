"""Options of ``exactonline sandbox serve`` (no web-server imports: the CLI reads them cheaply).

The names and defaults are a public contract (../shared/DESIGN.md, "Sandbox").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_CLIENT_ID = "11111111-2222-3333-4444-555555555555"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - documented sandbox default
DEFAULT_WEBHOOK_SECRET = "sandbox-webhook-secret"  # noqa: S105 - documented sandbox default


@dataclass(frozen=True)
class SandboxOptions:
    """Every option of ``exactonline sandbox serve`` except host and port."""

    seed: int = 1
    divisions: int = 2
    rows: int = 10000
    db_path: str | None = None
    as_of: date | None = None
    minute_seconds: float = 60.0
    minutely_limit: int = 60
    daily_limit: int = 5000
    limits_enabled: bool = True
    access_token_seconds: float = 600.0
    refresh_token_days: float = 30.0
    token_calls_per_day: int = 200
    code_seconds: float = 180.0
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    refresh_token: str | None = None
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    webhook_retries: int = 3
    webhook_retry_delay: float = 0.5
    webhook_validation: bool = False
    latency_ms: float = 0.0
