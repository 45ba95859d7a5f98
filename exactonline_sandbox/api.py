"""Starlette routes of the Exact REST API: ``/api/v1/current/Me``, ``/api/v1/{division}/…``.

Behaviour follows the fact sheet (§3-6, §8): OData v2 verbose JSON only when the client asks
for JSON (``Accept: application/json``; otherwise Exact answers Atom XML), 403 with
``Reason: NoDivisionAccess`` for divisions the user may not access, 404 envelopes for unknown
endpoints and keys, 400 envelopes for bad query syntax, ``$select`` mandatory on bulk
endpoints, ``$select=*`` refused where Exact documents it, ``$filter`` on sync endpoints
limited to ``Timestamp`` (and ``EntityType`` on sync/Deleted).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from exactonline_sandbox import catalog
from exactonline_sandbox.generator import sync_timestamp_for
from exactonline_sandbox.odata import (
    SYNTAX_ERROR,
    Comparison,
    Literal,
    ODataError,
    QueryOptions,
    error_body,
    filter_fields,
    format_date,
    parse_datetime_literal,
    parse_options,
    utc_ms_from_wall,
    wall_ms,
)
from exactonline_sandbox.render import is_navigation

if TYPE_CHECKING:
    from exactonline_sandbox.dataset import Dataset

JSON_TYPE = "application/json; charset=utf-8"
ATOM_EMPTY = (b'<?xml version="1.0" encoding="utf-8"?><feed xml:base="{base}/api/v1/" '
              b'xmlns="http://www.w3.org/2005/Atom" '
              b'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
              b'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
              b'<title type="text">{title}</title></feed>')
_BY_KEY_RE = re.compile(r"^(?P<path>.+?)\((?P<key>[^)]*)\)(?P<count>/\$count)?$")
BULK_SELECT_MESSAGE = "Please add a $select or a $top=1 statement to the query string."
#: Standard endpoints with so many properties that Exact refuses them without $select or
#: $top=1 (picqer issues #315/#556, fact sheet §4).
SELECT_REQUIRED = {"generaljournalentry/GeneralJournalEntries"}


def json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    """A JSON response with Exact's content type."""
    return Response(body, status_code=status, headers=headers, media_type=JSON_TYPE)


def error_response(exc: ODataError) -> Response:
    """The OData error envelope for ``exc``."""
    return json_response(error_body(exc.message), exc.status, exc.headers)


def base_url(request: Request) -> str:
    """``scheme://host[:port]`` the client used (for ``__metadata.uri`` and ``__next``)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def wants_json(request: Request) -> bool:
    """Exact answers JSON only to clients that accept it (default media type is Atom XML)."""
    return "json" in request.headers.get("accept", "").lower()


def atom(request: Request, title: str) -> Response:
    """The (empty) Atom feed Exact sends to clients that do not ask for JSON."""
    body = ATOM_EMPTY.replace(b"{base}", base_url(request).encode()).replace(
        b"{title}", title.encode())
    return Response(body, media_type="application/atom+xml;type=feed;charset=utf-8")


def next_link(request: Request, token: str, top_left: int | None) -> str:
    """``__next``: the request URL repeating its options, with ``$skiptoken=<token>``."""
    parts = []
    for part in request.scope.get("query_string", b"").decode("latin-1").split("&"):
        name = unquote(part.split("=", 1)[0])
        if not part or name in ("$skiptoken", "$skip"):
            continue
        if name == "$top":
            if top_left is None:
                continue
            part = f"$top={top_left}"
        parts.append(part)
    parts.append(f"$skiptoken={token}")
    return f"{base_url(request)}{request.url.path}?{'&'.join(parts)}"


def envelope(rows: list[str], *, next_url: str | None, count: int | None, array: bool) -> bytes:
    """``{"d":{"results":[…],"__next":…}}`` or ``{"d":[…]}`` around rendered rows."""
    body = ",".join(rows)
    if array:
        return ('{"d":[' + body + "]}").encode()
    head = f'{{"d":{{"__count":"{count}","results":[' if count is not None else '{"d":{"results":['
    tail = "]"
    if next_url:
        tail += ',"__next":' + orjson.dumps(next_url).decode()
    return (head + body + tail + "}}").encode()


def select_fields(ep: catalog.Endpoint, select: list[str] | None,
                  expand: list[str] | None = None) -> tuple[str, ...]:
    """Fields to render for ``$select`` (all fields without it or with ``*``).

    ``Nav/Field`` entries (with ``$expand=Nav``) select the navigation property ``Nav``; the
    expanded rows carry all their fields.

    Raises:
        ODataError: 400 for unknown properties or ``*`` where Exact refuses it.
    """
    names = tuple(ep.fields)
    if not select:
        return names
    if expand:
        select = [name.split("/", 1)[0] if name.split("/", 1)[0] in expand else name
                  for name in select]
    if "*" in select:
        if ep.select_star_rejected:
            raise ODataError(400, "This endpoint does not support query { $select=* }; "
                                  "list the properties in $select.")
        return names
    out: list[str] = []
    for name in select:
        if "/" in name:
            raise ODataError(400, SYNTAX_ERROR)
        if name not in ep.fields:
            raise ODataError(400, f"No property '{name}' exists in type '{ep.type_name}'.")
        if name not in out:
            out.append(name)
    return tuple(out)


def key_value(ep: catalog.Endpoint, literal: str) -> object:
    """Parse a key literal of a by-key path segment (``guid'…'``, ``123``, ``'EUR'``, ``5L``)."""
    text = unquote(literal).strip()
    if ep.family == "sync" or ep.key_kind == "int64":
        match = re.fullmatch(r"(-?\d+)L?", text)
    elif ep.key_kind == "guid":
        match = re.fullmatch(r"guid'([0-9a-fA-F-]{36})'", text)
    elif ep.key_kind == "int":
        match = re.fullmatch(r"(-?\d+)", text)
    else:
        match = re.fullmatch(r"'((?:[^']|'')*)'", text)
    if not match:
        raise ODataError(400, SYNTAX_ERROR)
    value = match.group(1)
    if ep.family == "sync" or ep.key_kind in ("int", "int64"):
        return int(value)
    return value.lower() if ep.key_kind == "guid" else value.replace("''", "'")


class Api:
    """Request handlers bound to one :class:`~.dataset.Dataset`."""

    def __init__(self, world: Dataset) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The API routes (GET only; Exact's write methods are not part of the sandbox)."""
        return [
            Route("/api/v1/current/Me", self.me, methods=["GET"]),
            Route("/api/v1/{division}/{path:path}", self.data, methods=["GET"]),
        ]

    # -- /current/Me ---------------------------------------------------------------------------
    async def me(self, request: Request) -> Response:
        """``GET /api/v1/current/Me`` (one-row results form, ``$select`` honoured)."""
        if not wants_json(request):
            return atom(request, "Me")
        world = self.world
        now = world.clock.now()
        row = world.me_row(base_url(request), now)
        try:
            opts = parse_options(list(parse_qsl(request.url.query, keep_blank_values=True)))
        except ODataError as exc:
            return error_response(exc)
        if opts.select and "*" not in opts.select:
            unknown = [n for n in opts.select if n not in row]
            if unknown:
                return error_response(ODataError(
                    400, f"No property '{unknown[0]}' exists in type 'Exact.Web.Api.Models."
                         "System.Me'."))
            row = {k: v for k, v in row.items() if k == "__metadata" or k in opts.select}
        return json_response(orjson.dumps({"d": {"results": [row]}}))

    # -- /{division}/... -----------------------------------------------------------------------
    async def data(self, request: Request) -> Response:
        """``GET /api/v1/{division}/…``: lists, by key, ``$count``, SyncTimestamp."""
        try:
            return self._data(request)
        except ODataError as exc:
            return error_response(exc)

    def _data(self, request: Request) -> Response:
        world = self.world
        raw_div = request.path_params["division"]
        if not raw_div.isdigit():
            raise ODataError(404, f"Resource not found for the segment '{raw_div}'.")
        division = int(raw_div)
        if division not in world.accessible_divisions:
            raise ODataError(403, "Forbidden - WrongDivision", {"Reason": "NoDivisionAccess"})
        path = request.path_params["path"]
        if not wants_json(request):
            return atom(request, path.rsplit("/", 1)[-1])
        pairs = list(parse_qsl(request.url.query, keep_blank_values=True))
        if path.strip("/").lower() == "read/sync/sync/synctimestamp":
            return self.sync_timestamp(request, division, dict(pairs))
        count_only = False
        key = None
        match = _BY_KEY_RE.match(path)
        if match:
            path, key, count_only = match.group("path"), match.group("key"), False
        elif path.endswith("/$count"):
            path, count_only = path[: -len("/$count")], True
        ep = catalog.lookup(path)
        if ep is None:
            segment = path.strip("/").rsplit("/", 1)[-1]
            raise ODataError(404, f"Resource not found for the segment '{segment}'.")
        opts = parse_options(pairs)
        for nav in opts.expand:
            try:
                catalog.navigation_target(ep, nav)
            except KeyError:
                raise ODataError(400, f"'{nav}' is not a navigation property of type "
                                      f"'{ep.type_name}'; $expand takes navigation "
                                      "properties only.") from None
        if opts.skip is not None and ep.family != "standard":
            raise ODataError(400, "$skip is not supported on sync and bulk endpoints; use "
                                  "$skiptoken (the __next link).")
        if key is not None:
            return self.by_key(request, ep, division, key_value(ep, key), opts)
        if ep.family == "sync" and opts.filter is not None:
            allowed = {"Timestamp", "EntityType"} if ep.path == "sync/Deleted" else {"Timestamp"}
            bad = filter_fields(opts.filter) - allowed
            if bad:
                raise ODataError(400, f"Only the Timestamp property may be used in $filter on "
                                      f"this sync endpoint (got '{sorted(bad)[0]}').")
        if count_only:
            return Response(str(world.store.count(ep, division, opts.filter)),
                            media_type="text/plain;charset=utf-8")
        if (ep.family == "bulk" or ep.path in SELECT_REQUIRED) and not opts.select \
                and opts.top != 1:
            raise ODataError(400, BULK_SELECT_MESSAGE)
        fields = select_fields(ep, opts.select, opts.expand)
        if ep.family == "sync" and opts.orderby:
            raise ODataError(400, "$orderby is not supported on sync endpoints.")
        for name, _desc in opts.orderby:
            if name not in ep.fields or is_navigation(ep.fields[name]):
                raise ODataError(400, f"No property '{name}' exists in type '{ep.type_name}'.")
        if opts.skiptoken is not None:
            want_int = ep.family == "sync" or ep.key_kind in ("int", "int64")
            if want_int != isinstance(opts.skiptoken, int) or (
                    want_int and not 0 <= opts.skiptoken < 2**63):  # type: ignore[operator]
                raise ODataError(400, SYNTAX_ERROR)
        limit = ep.page_size
        array = False
        if opts.top is not None:
            array = opts.top <= ep.page_size and not opts.inlinecount
            limit = min(opts.top, ep.page_size)
        page = world.store.page(ep, division, base_url(request), fields, node=opts.filter,
                                orderby=opts.orderby, skiptoken=opts.skiptoken, limit=limit,
                                count=opts.inlinecount, skip=opts.skip)
        next_url = None
        if page.more and not (opts.top is not None and opts.top <= ep.page_size):
            top_left = None if opts.top is None else opts.top - ep.page_size
            next_url = next_link(request, self.token(ep, page.last), top_left)
        rows = self.expand(request, ep, division, page.rows, opts.expand, opts.select)
        return json_response(envelope(rows, next_url=next_url, count=page.count, array=array))

    def expand(self, request: Request, ep: catalog.Endpoint, division: int, rows: list[str],
               navs: list[str], select: list[str] | None = None) -> list[str]:
        """Replace ``__deferred`` navigation properties by ``{"results": [...]}`` (``$expand``).

        ``Nav/Field`` entries of ``$select`` choose the fields of the expanded rows.
        """
        if not navs:
            return rows
        targets = {nav: catalog.navigation_target(ep, nav) for nav in navs}
        child_fields: dict[str, tuple[str, ...]] = {}
        for nav, target in targets.items():
            if target is not None:
                wanted = [name.split("/", 1)[1] for name in select or []
                          if name.startswith(nav + "/")]
                child_fields[nav] = select_fields(target[0], wanted or None)
        out = []
        for text in rows:
            row = orjson.loads(text)
            for nav, target in targets.items():
                if target is None:  # the sandbox has no rows of that entity
                    row[nav] = {"results": []}
                    continue
                child, parent_key, child_field = target
                parent = row.get(parent_key) or self._key_of(ep, division, row)
                node = Comparison(child_field, "eq", Literal("guid", parent))
                page = self.world.store.page(child, division, base_url(request),
                                             child_fields[nav], node=node)
                row[nav] = {"results": [orjson.loads(r) for r in page.rows]}
            out.append(orjson.dumps(row).decode())
        return out

    def _key_of(self, ep: catalog.Endpoint, division: int, row: dict[str, Any]) -> str:
        """The entity key of a rendered row whose ``$select`` left the key out (from its URI)."""
        match = re.search(r"\(guid'([0-9a-f-]{36})'\)$", row["__metadata"]["uri"])
        if not match:
            raise ODataError(400, SYNTAX_ERROR)
        return match.group(1)

    @staticmethod
    def token(ep: catalog.Endpoint, last: object) -> str:
        """``$skiptoken`` value after the row whose sort key is ``last``."""
        if ep.family == "sync" or ep.key_kind == "int64":
            return f"{last}L"
        if ep.key_kind == "int":
            return str(last)
        if ep.key_kind == "string":
            return "'" + str(last).replace("'", "''") + "'"
        return f"guid'{last}'"

    def by_key(self, request: Request, ep: catalog.Endpoint, division: int, key: object,
               opts: QueryOptions) -> Response:
        """``Entity(guid'…')`` -> ``{"d":{…}}``; 404 when no such row."""
        fields = select_fields(ep, opts.select, opts.expand)
        field = "Timestamp" if ep.family == "sync" else ep.key
        kind = {"guid": "guid", "int": "int", "int64": "int", "string": "string"}[
            "int" if ep.family == "sync" else ep.key_kind]
        node = Comparison(field, "eq", Literal(kind, key))
        page = self.world.store.page(ep, division, base_url(request), fields, node=node, limit=1)
        if not page.rows:
            segment = ep.path.rsplit("/", 1)[-1]
            raise ODataError(404, f"Resource not found for the segment '{segment}'.")
        row = self.expand(request, ep, division, page.rows, opts.expand, opts.select)[0]
        return json_response(('{"d":' + row + "}").encode())

    def sync_timestamp(self, request: Request, division: int, params: dict[str, str]
                       ) -> Response:
        """``read/sync/Sync/SyncTimestamp?modified=datetime'…'&endPoint='…'`` (fact sheet §5)."""
        modified = params.get("modified", "")
        endpoint = params.get("endPoint", params.get("endpoint", ""))
        m = re.fullmatch(r"datetime'([^']+)'", modified.strip())
        e = re.fullmatch(r"'([^']*)'", endpoint.strip())
        if not m or not e:
            raise ODataError(400, "Both parameters are required: modified=datetime'…' and "
                                  "endPoint='…'.")
        if e.group(1) not in catalog.SYNC_TIMESTAMP_ENDPOINTS:
            raise ODataError(400, f"The endPoint '{e.group(1)}' is not supported.")
        wall = parse_datetime_literal(m.group(1))
        row = {
            "__metadata": {"uri": f"{base_url(request)}/api/v1/{division}/read/sync/Sync/"
                                  f"SyncTimestamp", "type": "Exact.Web.Api.Models.Sync."
                                                            "SyncTimestamp"},
            "Modified": format_date(wall_ms(utc_ms_from_wall(wall))),
            "API": e.group(1),
            "TimeStampAsBigInt": sync_timestamp_for(utc_ms_from_wall(wall))
            - self.world.store.ts_offset[division],
        }
        return json_response(orjson.dumps({"d": {"results": [row]}}))
