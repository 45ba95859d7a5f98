"""Pure helpers for Exact Online's OData V2 JSON: envelopes, ``/Date(ms)/`` values, filters.

Nothing here does I/O. Sources: fact sheet §4 (response shapes, date encoding, filter literals)
and §8 (error envelope).

The date rule (see docs/tap.md): Exact writes every Edm.DateTime as ``/Date(ms)/`` where ``ms``
is the Amsterdam wall-clock time written as if it were UTC (Exact FAQ: "This is in the CET time
and not GMT"). A field that holds a *moment* (``Created``, ``Modified``, ``DeletedDate``, start
and end times, ...) becomes the true UTC instant under Europe/Amsterdam's DST rules. A field
that holds a *calendar date* (``InvoiceDate``, ``DueDate``, ``Date``, ``OrderDate``, ...) keeps
its calendar date and is emitted as ``YYYY-MM-DDT00:00:00+00:00``. :data:`MOMENT_FIELDS` and
:func:`is_moment_field` are the one place that decides which is which.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1)  # naive: Exact's ms are wall-clock values

#: Edm.DateTime fields that hold a moment (an instant), by exact name. Every other
#: Edm.DateTime field holds a calendar date unless :func:`is_moment_field`'s name rule says
#: otherwise. Sources: Exact docs field descriptions ("Creation date" = row creation time,
#: "Last modified date", "Date of deletion", "Division move date").
MOMENT_FIELDS: frozenset[str] = frozenset(
    {
        "Created",
        "Modified",
        "DeletedDate",
        "Approved",
        "DivisionMoveDate",
        "DivisionHRLinkUnlinkDate",
        "PaymentSelected",
        "ReceivableSelected",
        "syscreated",
        "sysmodified",
        "EventCreatedOn",
    }
)
#: Name rule for the rest: a field whose name ends in one of these holds a moment.
MOMENT_SUFFIXES: tuple[str, ...] = ("Time", "On")


def is_moment_field(name: str) -> bool:
    """Say whether an Edm.DateTime field holds a moment (True) or a calendar date (False).

    Args:
        name: Exact's field name, e.g. ``Modified`` (moment) or ``InvoiceDate`` (date).

    Returns:
        True for :data:`MOMENT_FIELDS` and names ending in ``Time`` or ``On``
        (``StartTime``, ``EndTime``, ``EventCreatedOn``); False for everything else.
    """
    return name in MOMENT_FIELDS or name.endswith(MOMENT_SUFFIXES)


def _date_ms(value: str) -> int:
    """``"/Date(1382667869110)/"`` -> ``1382667869110``; also accepts ``/Date(ms+0100)/``."""
    inner = value[6:-2]
    for sign in ("+", "-"):
        cut = inner.find(sign, 1)
        if cut > 0:
            inner = inner[:cut]
            break
    return int(inner)


def wall_clock(value: str) -> dt.datetime:
    """Return the naive Amsterdam wall-clock time a ``/Date(ms)/`` string encodes.

    Raises:
        ValueError: ``value`` is not a ``/Date(ms)/`` string.
    """
    if not (value.startswith("/Date(") and value.endswith(")/")):
        raise ValueError(f"not an OData /Date(ms)/ value: {value!r}")
    return _EPOCH + dt.timedelta(milliseconds=_date_ms(value))


def moment_to_utc(value: str) -> str:
    """Convert a moment ``/Date(ms)/`` (Amsterdam wall time) to an ISO-8601 UTC string.

    In the autumn hour that occurs twice the first occurrence (summer time) is taken; a
    wall time inside the spring gap is read with the offset before the change (+01:00).

    Example: ``/Date(1719835200000)/`` (2024-07-01 12:00 Amsterdam, CEST) ->
    ``2024-07-01T10:00:00+00:00``.
    """
    wall = wall_clock(value)
    return wall.replace(tzinfo=AMSTERDAM).astimezone(UTC).isoformat()


def calendar_date(value: str) -> str:
    """Convert a calendar-date ``/Date(ms)/`` to ``YYYY-MM-DDT00:00:00+00:00`` (same date)."""
    return wall_clock(value).date().isoformat() + "T00:00:00+00:00"


def amsterdam_filter_datetime(moment: dt.datetime | str) -> str:
    """Format a UTC moment as an OData filter literal in Exact's local time.

    Args:
        moment: Aware datetime or ISO-8601 string (naive strings are read as UTC).

    Returns:
        ``datetime'YYYY-MM-DDTHH:MM:SS'`` in Europe/Amsterdam wall time, truncated to whole
        seconds (with ``ge`` this never skips a row). In the autumn hour that occurs twice,
        a moment in its first (summer-time) occurrence is written one hour earlier: Exact may
        read the wall time as the second occurrence, which would skip an hour of rows.
    """
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    aware = moment.astimezone(AMSTERDAM)
    local = aware.replace(tzinfo=None, microsecond=0)
    later = local.replace(fold=1, tzinfo=AMSTERDAM)
    if aware.fold == 0 and later.utcoffset() != local.replace(tzinfo=AMSTERDAM).utcoffset():
        local -= dt.timedelta(hours=1)
    return f"datetime'{local.isoformat()}'"


def guid_literal(value: str) -> str:
    """``guid'…'`` filter literal."""
    return f"guid'{value}'"


def int64_literal(value: int) -> str:
    """``123L`` filter literal for Edm.Int64 (e.g. Timestamp)."""
    return f"{int(value)}L"


# --- envelopes -------------------------------------------------------------------------------

_decoder = msgspec.json.Decoder(float_hook=decimal.Decimal)


def decode_json(body: bytes | str) -> Any:
    """Decode a JSON body; non-integer numbers become :class:`decimal.Decimal` (exact money).

    Raises:
        msgspec.DecodeError: The body is not complete, valid JSON.
    """
    return _decoder.decode(body)


def unwrap(payload: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Return ``(rows, next_url)`` of any OData V2 JSON envelope Exact sends.

    Shapes: ``{"d":{"results":[...],"__next":url}}`` (collection), ``{"d":[...]}`` (V1-style
    collection, e.g. with ``$top``), ``{"d":{...}}`` (single entity).

    Raises:
        ValueError: ``payload`` has no ``d`` member, ``d.results`` is not a list (e.g.
            ``{"d":{"results":null}}``), a row is not an object, or ``__next`` is not a URL.
    """
    if not isinstance(payload, Mapping) or "d" not in payload:
        raise ValueError("response is not an OData envelope (no 'd' member)")
    body = payload["d"]
    next_url = None
    if isinstance(body, Mapping) and "results" in body:
        rows = body["results"]
        if not isinstance(rows, list):
            raise ValueError(f"'d.results' is {type(rows).__name__}, not a list of rows")
        next_url = body.get("__next")
        if next_url is not None and not (isinstance(next_url, str) and next_url.strip()):
            raise ValueError(f"'d.__next' is {next_url!r}, not a URL")
    elif isinstance(body, list):
        rows = body
    elif isinstance(body, Mapping):
        return [dict(body)], None
    else:
        raise ValueError("response 'd' member is neither a list nor an object")
    for row in rows:
        if not isinstance(row, Mapping):
            raise ValueError(f"a row of 'd.results' is {type(row).__name__}, not an object")
    return rows, next_url


def error_message(payload: Any) -> str | None:
    """Return Exact's ``error.message.value`` (one line) from an error body, if present."""
    try:
        value = payload["error"]["message"]["value"]
    except (KeyError, TypeError):
        return None
    return " ".join(str(value).split()) or None


# --- record conversion -----------------------------------------------------------------------

#: ``/Date(-62135596800000)/``: .NET's DateTime.MinValue (0001-01-01), Exact's "no date".
DATETIME_MIN_MS = -62135596800000


class BadValue(ValueError):
    """A field value that cannot become a record value.

    ``str(exc)`` is one line: ``field <name>: <why> (<value>)``.

    Attributes:
        field: Exact's field name.
        value: The value as Exact sent it.
    """

    def __init__(self, field: str, value: Any, why: str) -> None:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"field {field}: {why} ({shown})")
        self.field = field
        self.value = value


Converter = Callable[[Any], Any]


def _date_converter(func: Callable[[str], str]) -> Converter:
    """A date-time converter: ``/Date(ms)/`` -> ``func`` value; MinValue -> None; ISO kept.

    Raises ``ValueError`` (the caller adds the field name) for anything else: not a string,
    ``/Date(...)/`` without a number, or a moment Python's datetime cannot hold.
    """

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"a date must be a /Date(ms)/ string, not {type(value).__name__}")
        if value.startswith("/Date("):
            try:
                if _date_ms(value) == DATETIME_MIN_MS:
                    return None
                return func(value)
            except (ValueError, OverflowError):
                raise ValueError("not a /Date(ms)/ value a calendar can hold") from None
        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not a /Date(ms)/ value nor an ISO-8601 date") from None
        return value

    return convert


_cached_moment = _date_converter(moment_to_utc)
_calendar = _date_converter(calendar_date)
_calendar_cache: dict[str, str] = {}


def _cached_calendar(value: Any) -> Any:
    hit = _calendar_cache.get(value) if isinstance(value, str) else None
    if hit is not None:
        return hit
    out = _calendar(value)
    if out is not None and len(_calendar_cache) < 100_000:
        _calendar_cache[value] = out
    return out


def build_plan(
    properties: Mapping[str, Mapping[str, Any]], names: Iterable[str]
) -> tuple[tuple[str, Converter | None], ...]:
    """Build a conversion plan: for each emitted field, its converter (``None`` = as is).

    Args:
        properties: JSON Schema ``properties`` of the stream.
        names: Field names to emit, in order.

    Returns:
        Tuple of ``(field, converter)``; date-time fields get the moment or calendar
        converter by :func:`is_moment_field`.
    """
    plan: list[tuple[str, Converter | None]] = []
    for name in names:
        prop = properties.get(name, {})
        conv: Converter | None = None
        if prop.get("format") == "date-time":
            conv = _cached_moment if is_moment_field(name) else _cached_calendar
        plan.append((name, conv))
    return tuple(plan)


def convert_record(
    raw: Mapping[str, Any],
    plan: tuple[tuple[str, Converter | None], ...],
    min_values: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Project an Exact row onto the plan's fields and convert its dates.

    ``__metadata``, navigation properties and anything not in the plan are dropped; plan
    fields absent from ``raw`` become ``None``. A date that is DateTime.MinValue
    (``/Date(-62135596800000)/``, Exact's "no date") becomes ``None`` and is counted per
    field in ``min_values`` when given.

    Raises:
        BadValue: A date field holds something that is not a date (garbage, out of range).
    """
    out: dict[str, Any] = {}
    get = raw.get
    for name, conv in plan:
        value = get(name)
        if conv is not None and value is not None:
            try:
                converted = conv(value)
            except ValueError as exc:
                raise BadValue(name, value, str(exc)) from None
            if converted is None and min_values is not None:
                min_values[name] = min_values.get(name, 0) + 1
            value = converted
        out[name] = value
    return out
