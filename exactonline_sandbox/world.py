"""The sandbox's data half: the :class:`~.dataset.Dataset` plus the routes that serve it.

S2's app composes this with OAuth, rate limits, faults and webhooks (CONTRACTS §3)::

    world = World(WorldOptions(seed=7, divisions=2, rows=2000), clock, on_change=webhooks.send)
    routes = [*s2_routes, *world.routes()]
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from exactonline_sandbox.api import Api
from exactonline_sandbox.clock import SandboxClock
from exactonline_sandbox.control import Control
from exactonline_sandbox.dataset import (
    INACCESSIBLE_DIVISION,
    ChangeEvent,
    Dataset,
    WorldOptions,
)

__all__ = ["INACCESSIBLE_DIVISION", "ChangeEvent", "World", "WorldOptions"]


class World(Dataset):
    """Generated data plus the routes serving it.

    Raises:
        ValueError: ``divisions`` < 1 or ``rows`` < 1.
    """

    def __init__(self, options: WorldOptions, clock: SandboxClock,
                 on_change: Callable[[ChangeEvent], None] | None = None) -> None:
        super().__init__(options, clock, on_change)
        self.api = Api(self)
        self.control = Control(self)

    def routes(self) -> list[BaseRoute]:
        """``/api/v1/current/Me``, ``/api/v1/{division}/…`` and ``/_sandbox/`` data routes."""
        return [*self.control.routes(), *self.api.routes()]
