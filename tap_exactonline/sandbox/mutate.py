"""Mutations of the control API (``POST /_sandbox/mutate``); being implemented."""

from __future__ import annotations

from typing import Any


class MutationError(Exception):
    """A mutation request that cannot be applied (message says what to change)."""


class Mutator:
    """Applies mutation requests to a World."""

    def __init__(self, world: Any) -> None:
        self.world = world

    def apply(self, body: Any) -> list[dict[str, Any]]:
        """Apply one mutation request; returns the changed rows."""
        raise MutationError("mutate is not implemented yet")
