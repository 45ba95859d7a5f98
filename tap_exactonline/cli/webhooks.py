"""`exactonline webhooks`: placeholder until its issue lands (no command is attached yet)."""

from __future__ import annotations

command = None
