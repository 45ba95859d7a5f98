"""The canonical form of the sandbox's rows: typed values straight from its database.

``GET /_sandbox/truth/{division}/{stream}?form=canonical`` answers
``{"form": "canonical", "records": [...]}``: the same rows as the default form, in the same
order, but never rendered as OData. Each value is read from SQLite through the view's field
expression (:mod:`.views`) and typed by the field's Edm type in the reference
(``exact_entities.json``), so a test can compare a client's output with values that did not pass
through the code that renders the API (``render``, ``fastrows``):

============================  ============================================================
Edm type                      canonical value
============================  ============================================================
Edm.DateTime, calendar date   ``"2024-06-01"`` (the stored wall-clock midnight's date)
Edm.DateTime, moment          ``"2024-06-01T10:00:00.123Z"`` (true UTC, milliseconds)
Edm.Double                    decimal string, ``"1234.5"`` (never a binary float)
Edm.Int16/32/64, Edm.Byte     integer
Edm.Boolean                   ``true``/``false`` (unset: ``false``, as the API sends)
Edm.Guid, Edm.String          string (GUIDs lowercase, codes with Exact's padding)
Edm.Binary                    ``null``
Exact.* complex, navigation   left out (the API sends ``null`` and ``__deferred``)
============================  ============================================================

Whether an Edm.DateTime field holds a calendar date or a moment is the sandbox's own knowledge,
not a client's: every stored date column is declared ``DATE`` (calendar date) or ``DATETIME``
(moment) in :mod:`.schema`, and a field's kind is the kind of the date columns its expression
reads (``t.StartDate + 86400000`` is a date; ``CASE WHEN t.IsSales THEN t.Created END`` a
moment). An expression that mixes both kinds, or yields a date from no date column, is refused
when the plan is built. Moments are converted with the sandbox's own Amsterdam offset table
(:func:`.odata.utc_ms_from_wall`; in the autumn hour that occurs twice, the first reading).

Nothing here is endpoint-specific: a new endpoint gets its canonical form from its field list,
its view and the declared column types.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from exactonline_sandbox import schema
from exactonline_sandbox.odata import utc_ms_from_wall
from exactonline_sandbox.render import is_navigation

if TYPE_CHECKING:
    from exactonline_sandbox.catalog import Endpoint
    from exactonline_sandbox.store import Store
    from exactonline_sandbox.views import View

FORMS = ("odata", "canonical")
DATE, MOMENT = "date", "moment"
_DECLARED = {"DATE": DATE, "DATETIME": MOMENT}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_COLUMN_RE = re.compile(r"\b([a-z]{1,2})\.([A-Za-z_][A-Za-z0-9_]*)")
_JOIN_RE = re.compile(r"JOIN\s+(\w+)\s+(\w+)\s+ON", re.IGNORECASE)

Converter = Callable[[Any], Any]


class CanonicalError(ValueError):
    """A field whose kind of date cannot be told from the declared column types."""


@lru_cache(maxsize=1)
def column_kinds() -> dict[tuple[str, str], str]:
    """(table, column) -> ``date`` | ``moment`` for every declared date column."""
    kinds: dict[tuple[str, str], str] = {}
    for table, cols in schema.TABLES.items():
        for part in cols.split(","):
            name, _, declared = part.strip().partition(" ")
            kind = _DECLARED.get(declared.split(" ")[0])
            if kind:
                kinds[(table, name)] = kind
    return kinds


def alias_tables(view: View) -> dict[str, str]:
    """Join alias -> table of a view (``t`` is the view's own table)."""
    out = {"t": view.table}
    for alias, sql, _deps in view.joins:
        match = _JOIN_RE.search(sql)
        if match and match.group(2) == alias:
            out[alias] = match.group(1)
    return out


def date_kind(ep: Endpoint, field: str) -> str | None:
    """``date`` or ``moment`` for an Edm.DateTime field; None when it is never set.

    Raises:
        CanonicalError: The expression reads both kinds of date column, or none while it is
            not a plain NULL.
    """
    expr = ep.expression(field)
    if expr is None or expr.strip().upper() == "NULL":
        return None
    tables = alias_tables(ep.view)
    kinds = column_kinds()
    found = {kinds[(tables[alias], column)] for alias, column in _COLUMN_RE.findall(expr)
             if alias in tables and (tables[alias], column) in kinds}
    if len(found) != 1:
        raise CanonicalError(
            f"{ep.path}.{field} = {expr!r}: cannot tell a calendar date from a moment (reads "
            f"{sorted(found) or 'no'} date columns); read one DATE or DATETIME column")
    return found.pop()


def _wall(value: Any) -> datetime:
    return _EPOCH + timedelta(milliseconds=int(value))


def as_date(value: Any) -> str:
    """Stored wall-clock ms of a calendar date -> ``YYYY-MM-DD``."""
    return _wall(value).date().isoformat()


def as_moment(value: Any) -> str:
    """Stored wall-clock ms of a moment -> UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    utc = _EPOCH + timedelta(milliseconds=utc_ms_from_wall(int(value)))
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def as_decimal(value: Any) -> str:
    """A stored REAL or integer -> its shortest exact decimal string (``0.1``, ``100.0``)."""
    return format(Decimal(repr(float(value))), "f")


def converter(ep: Endpoint, field: str) -> Converter:
    """The function that types one stored value of ``field`` (never called with None)."""
    edm = ep.fields[field]
    if edm == "Edm.DateTime":
        return as_moment if date_kind(ep, field) == MOMENT else as_date
    if edm == "Edm.Double":
        return as_decimal
    if edm in ("Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte"):
        return int
    if edm == "Edm.Boolean":
        return bool
    if edm == "Edm.Guid":
        return lambda value: str(value).lower()
    return str


@lru_cache(maxsize=256)
def plan(ep: Endpoint) -> tuple[tuple[str, str | None, Converter | None], ...]:
    """(field, SQL expression or None, converter) for every Edm-typed field of ``ep``.

    Raises:
        CanonicalError: See :func:`date_kind`.
    """
    out: list[tuple[str, str | None, Converter | None]] = []
    for field, edm in ep.fields.items():
        if is_navigation(edm) or edm.startswith("Exact."):
            continue
        expr = None if edm == "Edm.Binary" else ep.expression(field)
        out.append((field, expr, converter(ep, field) if expr is not None else None))
    return tuple(out)


def records(store: Store, ep: Endpoint, division: int) -> list[dict[str, Any]]:
    """Every current row of ``ep`` for ``division`` in canonical form (order as the truth)."""
    steps = plan(ep)
    exprs = [expr for _field, expr, _conv in steps if expr is not None]
    out = []
    for raw in store.values(ep, division, exprs):
        values = iter(raw)
        record: dict[str, Any] = {}
        for field, expr, conv in steps:
            if expr is None:
                value: Any = None
            else:
                value = next(values)
                value = None if value is None else conv(value)  # type: ignore[misc]
            if value is None and ep.fields[field] == "Edm.Boolean":
                value = False
            record[field] = value
        out.append(record)
    return out
