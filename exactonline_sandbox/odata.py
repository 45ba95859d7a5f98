"""OData v2 pieces of the sandbox: query options, the ``$filter`` grammar, dates, envelopes.

Exact Online speaks OData v2 verbose JSON from WCF Data Services (fact sheet §4):

* dates are ``"/Date(ms)/"`` where ``ms`` encodes the Europe/Amsterdam wall-clock time as if it
  were UTC (Exact FAQ: "This is in the CET time and not GMT");
* ``$filter`` literals are ``guid'…'``, ``datetime'YYYY-MM-DDTHH:MM[:SS[.fff]]'``, ``123L``,
  ``123``, ``1.5``, ``'text'``, ``true``/``false``/``null``; operators ``eq ne gt ge lt le``,
  ``and``, ``or``, ``not`` and parentheses;
* errors are ``{"error":{"code":"","message":{"lang":"","value":"…"}}}`` (fact sheet §8).

Everything here is pure: no I/O, no SQLite.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import orjson

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SYNTAX_ERROR = "Bad Request - Error in query syntax."


class ODataError(Exception):
    """A request Exact would refuse: HTTP ``status`` with the envelope message ``message``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_body(message: str) -> bytes:
    """The OData error envelope Exact sends, as JSON bytes."""
    return orjson.dumps({"error": {"code": "", "message": {"lang": "", "value": message}}})


# -- dates --------------------------------------------------------------------------------------

def _offset_table() -> tuple[list[int], list[int]]:
    """UTC-ms instants where Amsterdam's UTC offset changes (2000-2040) and the offsets after."""
    starts: list[int] = []
    offsets: list[int] = []
    previous = None
    moment = datetime(2000, 1, 1, tzinfo=timezone.utc)
    end = datetime(2040, 1, 1, tzinfo=timezone.utc)
    step = timedelta(hours=1)
    # Walk day by day, refine to the hour where the offset changes.
    while moment < end:
        off = moment.astimezone(AMSTERDAM).utcoffset()
        if off != previous:
            probe = moment - timedelta(days=1) if previous is not None else moment
            while probe.astimezone(AMSTERDAM).utcoffset() != off:
                probe += step
            starts.append(int(probe.timestamp() * 1000))
            offsets.append(int(off.total_seconds() * 1000))  # type: ignore[union-attr]
            previous = off
        moment += timedelta(days=1)
    return starts, offsets


_STARTS, _OFFSETS = _offset_table()


def wall_ms(utc_ms: int) -> int:
    """Amsterdam wall-clock time of a UTC instant, as milliseconds "since epoch" (Exact style).

    Example: 2024-07-01T10:00:00Z -> 12:00 CEST -> ms of 2024-07-01T12:00:00 read as UTC.
    """
    i = bisect.bisect_right(_STARTS, utc_ms) - 1
    return utc_ms + (_OFFSETS[i] if i >= 0 else 3_600_000)


def utc_ms_from_wall(wall: int) -> int:
    """Inverse of :func:`wall_ms`.

    In the autumn hour that occurs twice, the first (summer-time) reading; a wall time inside
    the spring gap (which no moment has) is read with the offset before the change, +01:00.
    """
    for offset in (7_200_000, 3_600_000):
        utc = wall - offset
        if wall_ms(utc) == wall:
            return utc
    return wall - 3_600_000


def date_ms(year: int, month: int, day: int) -> int:
    """Midnight of a calendar date as ``/Date()/`` milliseconds (no zone shift)."""
    return int(datetime(year, month, day, tzinfo=timezone.utc).timestamp() * 1000)


def format_date(ms: int | None) -> str | None:
    """``/Date(ms)/`` text for a stored wall-clock millisecond value."""
    return None if ms is None else f"/Date({ms})/"


_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?Z?)?$"
)


def parse_datetime_literal(text: str) -> int:
    """``2024-05-01T10:00:00`` (Exact local time) -> wall-clock ms as Exact stores it.

    A trailing ``Z`` (``2024-05-01T10:00:00Z``, sent by some clients) is accepted and does not
    shift the time: WCF Data Services parses the literal with XmlConvert (which allows it) and
    .NET compares DateTime values without their kind, so Exact matches the wall-clock digits
    (a choice: the fact sheet is silent; docs/sandbox.md "Choices").

    Raises:
        ODataError: 400 when the text is not an OData v2 datetime.
    """
    match = _DATETIME_RE.match(text.strip())
    if not match:
        raise ODataError(400, SYNTAX_ERROR)
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                          int(second or 0), tzinfo=timezone.utc)
    except ValueError as exc:
        raise ODataError(400, SYNTAX_ERROR) from exc
    ms = int(moment.timestamp() * 1000)
    if fraction:
        ms += int((fraction + "000")[:3])
    return ms


def parse_date_value(value: object) -> int | None:
    """A DateTime given to the control API (``/Date(ms)/``, ISO text or ms) -> wall ms."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value)
    match = re.fullmatch(r"/Date\((-?\d+)\)/", text)
    if match:
        return int(match.group(1))
    return parse_datetime_literal(text.replace("Z", "")[:23])


# -- $filter ------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"\s*(?:"
    r"(?P<guid>guid'(?P<guidv>[0-9a-fA-F-]{36})')"
    r"|(?P<dt>datetime'(?P<dtv>[^']*)')"
    r"|(?P<str>'(?P<strv>(?:[^']|'')*)')"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?P<suffix>[LlMmDdFf])?(?![\w.])"
    r"|(?P<lp>\()|(?P<rp>\))|(?P<comma>,)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/]*)"
    r")"
)

COMPARISONS = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


@dataclass(frozen=True)
class Literal:
    """A ``$filter`` literal: ``kind`` in guid, datetime, string, int, float, bool, null."""

    kind: str
    value: object


@dataclass(frozen=True)
class Comparison:
    """``field op literal``."""

    field: str
    op: str
    literal: Literal


@dataclass(frozen=True)
class Logical:
    """``and`` / ``or`` of two nodes, or ``not`` of one (``right`` None)."""

    op: str
    left: object
    right: object = None


@dataclass(frozen=True)
class Call:
    """``startswith(Field,'x')``, ``endswith``, ``substringof('x',Field)``."""

    name: str
    field: str
    text: str


def _tokens(text: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            raise ODataError(400, SYNTAX_ERROR)
        pos = match.end()
        if match.group("guid"):
            out.append(("lit", Literal("guid", match.group("guidv").lower())))
        elif match.group("dt") is not None:
            out.append(("lit", Literal("datetime", parse_datetime_literal(match.group("dtv")))))
        elif match.group("str") is not None:
            out.append(("lit", Literal("string", match.group("strv").replace("''", "'"))))
        elif match.group("num"):
            raw, suffix = match.group("num"), (match.group("suffix") or "").upper()
            if "." in raw or "e" in raw.lower() or suffix in ("M", "D", "F"):
                out.append(("lit", Literal("float", float(raw))))
            else:
                out.append(("lit", Literal("int", int(raw))))
        elif match.group("lp"):
            out.append(("(", None))
        elif match.group("rp"):
            out.append((")", None))
        elif match.group("comma"):
            out.append((",", None))
        else:
            word = match.group("word")
            low = word.lower()
            if low in ("true", "false"):
                out.append(("lit", Literal("bool", low == "true")))
            elif low == "null":
                out.append(("lit", Literal("null", None)))
            else:
                out.append(("word", word))
        if pos < len(text) and text[pos].isspace():
            continue
    return out


#: Deepest nesting of parentheses and ``not`` a ``$filter`` may have (WCF Data Services
#: refuses deep expressions too; a bound keeps the parser's recursion and SQLite's expression
#: depth far from their limits).
MAX_FILTER_DEPTH = 100
TOO_DEEP = f"The $filter expression is nested more than {MAX_FILTER_DEPTH} levels deep."


def _balanced(op: str, nodes: list[object]) -> object:
    """``a op b op c ...`` as a balanced tree (and/or are associative): depth log2(n)."""
    if len(nodes) == 1:
        return nodes[0]
    mid = len(nodes) // 2
    return Logical(op, _balanced(op, nodes[:mid]), _balanced(op, nodes[mid:]))


class _Parser:
    def __init__(self, tokens: list[tuple[str, object]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, object] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, object]:
        tok = self.peek()
        if tok is None:
            raise ODataError(400, SYNTAX_ERROR)
        self.pos += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and str(tok[1]).lower() == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> object:
        node = self.or_expr()
        if self.peek() is not None:
            raise ODataError(400, SYNTAX_ERROR)
        return node

    def or_expr(self) -> object:
        nodes = [self.and_expr()]
        while self.keyword("or"):
            nodes.append(self.and_expr())
        return _balanced("or", nodes)

    def and_expr(self) -> object:
        nodes = [self.unary()]
        while self.keyword("and"):
            nodes.append(self.unary())
        return _balanced("and", nodes)

    def unary(self) -> object:
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise ODataError(400, TOO_DEEP)
        try:
            if self.keyword("not"):
                return Logical("not", self.unary())
            tok = self.peek()
            if tok and tok[0] == "(":
                self.take()
                node = self.or_expr()
                if self.take()[0] != ")":
                    raise ODataError(400, SYNTAX_ERROR)
                return node
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> object:
        kind, value = self.take()
        if kind != "word":
            raise ODataError(400, SYNTAX_ERROR)
        name = str(value)
        nxt = self.peek()
        if nxt and nxt[0] == "(" and name.lower() in ("startswith", "endswith", "substringof"):
            return self.call(name.lower())
        op_tok = self.take()
        op = str(op_tok[1]).lower() if op_tok[0] == "word" else ""
        if op not in COMPARISONS:
            raise ODataError(400, SYNTAX_ERROR)
        lit_kind, lit = self.take()
        if lit_kind != "lit":
            raise ODataError(400, SYNTAX_ERROR)
        return Comparison(name, op, lit)  # type: ignore[arg-type]

    def call(self, name: str) -> object:
        self.take()  # (
        first = self.take()
        if self.take()[0] != ",":
            raise ODataError(400, SYNTAX_ERROR)
        second = self.take()
        if self.take()[0] != ")":
            raise ODataError(400, SYNTAX_ERROR)
        if name == "substringof":
            first, second = second, first
        text = second[1]
        if first[0] != "word" or not isinstance(text, Literal) or text.kind != "string":
            raise ODataError(400, SYNTAX_ERROR)
        node: object = Call(name, str(first[1]), str(text.value))
        # `startswith(Code,'1') eq true` is the OData v2 way of writing it.
        if self.keyword("eq"):
            flag = self.take()[1]
            if not isinstance(flag, Literal) or flag.kind != "bool":
                raise ODataError(400, SYNTAX_ERROR)
            if not flag.value:
                node = Logical("not", node)
        return node


def parse_filter(text: str) -> object:
    """Parse a ``$filter`` expression into Comparison / Logical / Call nodes.

    Raises:
        ODataError: 400 "Bad Request - Error in query syntax." on any syntax error.
    """
    if not text.strip():
        raise ODataError(400, SYNTAX_ERROR)
    return _Parser(_tokens(text)).parse()


def filter_fields(node: object) -> set[str]:
    """Every field name a parsed filter refers to."""
    if isinstance(node, Comparison | Call):
        return {node.field}
    if isinstance(node, Logical):
        out = filter_fields(node.left)
        if node.right is not None:
            out |= filter_fields(node.right)
        return out
    return set()


# -- query options ------------------------------------------------------------------------------

_ORDER_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)
_SKIPTOKEN_RE = re.compile(
    r"^(?:guid'(?P<guid>[0-9a-fA-F-]{36})'|(?P<int>-?\d+)L?|'(?P<str>(?:[^']|'')*)')$"
)


@dataclass
class QueryOptions:
    """The OData system query options of one request, validated for syntax only."""

    select: list[str] | None = None
    filter: object = None
    top: int | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    inlinecount: bool = False
    skiptoken: object = None
    expand: list[str] = field(default_factory=list)
    skip: int | None = None
    raw_pairs: list[tuple[str, str]] = field(default_factory=list)


def parse_options(pairs: list[tuple[str, str]]) -> QueryOptions:
    """Validate ``$select/$filter/$top/$skip/$orderby/$inlinecount/$skiptoken/$expand``.

    Other options are ignored.

    Raises:
        ODataError: 400 with Exact's syntax-error message for malformed values.
    """
    opts = QueryOptions(raw_pairs=pairs)
    for name, value in pairs:
        if name == "$select":
            names = [part.strip() for part in value.split(",")]
            if not all(names):
                raise ODataError(400, SYNTAX_ERROR)
            opts.select = names
        elif name == "$filter":
            opts.filter = parse_filter(value)
        elif name == "$top":
            if not value.strip().isdigit():
                raise ODataError(400, SYNTAX_ERROR)
            opts.top = int(value)
        elif name == "$orderby":
            for part in value.split(","):
                match = _ORDER_RE.match(part)
                if not match:
                    raise ODataError(400, SYNTAX_ERROR)
                opts.orderby.append((match.group(1), (match.group(2) or "").lower() == "desc"))
        elif name == "$inlinecount":
            if value not in ("allpages", "none"):
                raise ODataError(400, SYNTAX_ERROR)
            opts.inlinecount = value == "allpages"
        elif name == "$skiptoken":
            match = _SKIPTOKEN_RE.match(value.strip())
            if not match:
                raise ODataError(400, SYNTAX_ERROR)
            if match.group("guid"):
                opts.skiptoken = match.group("guid").lower()
            elif match.group("int") is not None:
                opts.skiptoken = int(match.group("int"))
            else:
                opts.skiptoken = match.group("str").replace("''", "'")
        elif name == "$expand":
            opts.expand = [part.strip() for part in value.split(",") if part.strip()]
        elif name == "$skip":
            if not value.strip().isdigit():
                raise ODataError(400, SYNTAX_ERROR)
            opts.skip = int(value)
    return opts
