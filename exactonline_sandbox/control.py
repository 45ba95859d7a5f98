"""Control routes of the data half (CONTRACTS §2): divisions, truth, mutate.

* ``GET /_sandbox/divisions`` -> ``{"accessible": [...], "current": n, "inaccessible": [...]}``
* ``GET /_sandbox/truth/{division}/{stream}`` -> ``{"records": [...]}``: every current row of a
  tap stream exactly as the API returns it without ``$select`` (sync streams in Timestamp order,
  others in key order). ``?form=canonical`` -> ``{"form": "canonical", "records": [...]}``: the
  same rows as typed values read from the database, never rendered as OData (see
  :mod:`.canonical`); ``?form=odata`` is the default.
* ``POST /_sandbox/mutate`` -> ``{"changed": [...]}`` (see :mod:`.mutate`).

Errors are one-line JSON ``{"error": "..."}`` with status 400/404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from exactonline_sandbox import canonical, catalog
from exactonline_sandbox.api import base_url
from exactonline_sandbox.mutate import MutationError, Mutator

if TYPE_CHECKING:
    from exactonline_sandbox.dataset import Dataset


def _json(payload: object, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


class Control:
    """``/_sandbox/`` routes bound to one :class:`~.dataset.Dataset`."""

    def __init__(self, world: Dataset) -> None:
        self.world = world
        self.mutator = Mutator(world)

    def routes(self) -> list[Route]:
        """Divisions, truth and mutate routes."""
        return [
            Route("/_sandbox/divisions", self.divisions, methods=["GET"]),
            Route("/_sandbox/truth/{division}/{stream}", self.truth, methods=["GET"]),
            Route("/_sandbox/mutate", self.mutate, methods=["POST"]),
        ]

    async def divisions(self, request: Request) -> Response:
        """``GET /_sandbox/divisions``."""
        world = self.world
        return _json({"accessible": world.accessible_divisions,
                      "current": world.current_division,
                      "inaccessible": world.inaccessible_divisions})

    async def truth(self, request: Request) -> Response:
        """``GET /_sandbox/truth/{division}/{stream}``."""
        world = self.world
        raw, stream = request.path_params["division"], request.path_params["stream"]
        if not raw.isdigit() or int(raw) not in world.accessible_divisions:
            return _json({"error": f"unknown or inaccessible division {raw!r}; accessible: "
                                   f"{world.accessible_divisions}"}, 404)
        ep = catalog.BY_STREAM.get(stream)
        if ep is None:
            return _json({"error": f"unknown stream {stream!r}; streams: "
                                   f"{sorted(catalog.BY_STREAM)}"}, 404)
        form = request.query_params.get("form", "odata")
        if form not in canonical.FORMS:
            return _json({"error": f"unknown form {form!r}; forms: {list(canonical.FORMS)}"}, 400)
        if form == "canonical":
            try:
                rows = canonical.records(world.store, ep, int(raw))
            except canonical.CanonicalError as exc:  # a view reads undeclared date columns
                return _json({"error": str(exc)}, 500)
            return _json({"form": "canonical", "records": rows})
        page = world.store.page(ep, int(raw), base_url(request), tuple(ep.fields))
        body = b'{"records":[' + ",".join(page.rows).encode() + b"]}"
        return Response(body, media_type="application/json")

    async def mutate(self, request: Request) -> Response:
        """``POST /_sandbox/mutate``."""
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _json({"error": "the body must be a JSON object"}, 400)
        try:
            changed = self.mutator.apply(body)
        except MutationError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"changed": changed})
