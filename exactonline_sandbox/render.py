"""SQL that renders Exact rows as OData v2 verbose JSON text inside SQLite.

Each row becomes one TEXT value built by SQLite string concatenation, so serving a page costs
one SQLite statement and one ``",".join`` in Python, no per-value Python work. Shapes follow the
real recorded responses (tests/fixtures/exact): ``__metadata {uri, type}`` first, every field of
the reference entity, navigation collections as ``{"__deferred":{"uri":…}}``, ``/Date(ms)/``
strings, JSON numbers for Edm.Double/Int*, ``true``/``false`` for Edm.Boolean.

Bound parameters: ``:base`` (scheme://host[:port] of the request), ``:div`` (division of the
request path), ``:user``, ``:username``, ``:current`` (current division).
"""

from __future__ import annotations

import re
from functools import lru_cache

import orjson

from exactonline_sandbox.catalog import Endpoint
from exactonline_sandbox.odata import (
    COMPARISONS,
    Call,
    Comparison,
    Literal,
    Logical,
    ODataError,
)

_ALIAS_RE = re.compile(r"\b([a-z]{1,2})\.[A-Za-z_]")


def sql_literal(text: str) -> str:
    """A Python string as an SQLite string literal."""
    return "'" + text.replace("'", "''") + "'"


def is_navigation(edm: str) -> bool:
    """Navigation collection (``Collection:X`` or a bare entity-set name)."""
    return not edm.startswith(("Edm.", "Exact."))


def key_literal_sql(ep: Endpoint) -> str:
    """SQL for the key literal of a row in URIs.

    ``guid'…'``, ``123L`` (sync, Int64 keys), ``5``, ``'EUR'``.
    """
    if ep.family == "sync":
        return "t.Timestamp || 'L'"
    expr = ep.expression(ep.key)
    if ep.key_kind == "int":
        return f"({expr})"
    if ep.key_kind == "int64":
        return f"({expr}) || 'L'"
    if ep.key_kind == "string":
        return f"'''' || {expr} || ''''"
    return f"'guid''' || {expr} || ''''"


def value_sql(edm: str, expr: str | None) -> str:
    """SQL producing the JSON text of one value of Edm type ``edm``."""
    if expr is None:
        return "'false'" if edm == "Edm.Boolean" else "'null'"
    if edm in ("Edm.Guid", "Edm.String"):
        return f"json_quote({expr})"
    if edm == "Edm.DateTime":
        return f"ifnull('\"/Date(' || ({expr}) || ')/\"', 'null')"
    if edm == "Edm.Boolean":
        return f"CASE WHEN ({expr}) THEN 'true' ELSE 'false' END"
    if edm.startswith("Exact.") or edm == "Edm.Binary":
        return "'null'"
    return f"ifnull(({expr}), 'null')"


def _merge(parts: list[tuple[bool, str]]) -> str:
    """Join (is_literal, text) parts into one SQL ``||`` chain, merging adjacent literals."""
    out: list[str] = []
    pending = ""
    for literal, text in parts:
        if literal:
            pending += text
            continue
        if pending:
            out.append(sql_literal(pending))
            pending = ""
        out.append(text)
    if pending:
        out.append(sql_literal(pending))
    return balanced(out)


def balanced(terms: list[str]) -> str:
    """``a || b || c …`` as a balanced tree of ``||``.

    SQLite copies the left operand on every ``||``, so a flat chain of n terms costs O(n²)
    bytes per row; a balanced one O(n log n).
    """
    if len(terms) <= 2:
        return " || ".join(terms)
    mid = len(terms) // 2
    return f"({balanced(terms[:mid])}) || ({balanced(terms[mid:])})"


_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_STRING_RE = re.compile(r"^'((?:[^']|'')*)'$")


def constant_json(edm: str, expr: str | None, consts: dict[str, str]) -> str | None:
    """JSON text of a value that is the same on every row, else None."""
    if expr is None:
        return "false" if edm == "Edm.Boolean" else "null"
    if edm.startswith("Exact.") or edm == "Edm.Binary":
        return "null"
    if expr in consts:
        return orjson.dumps(consts[expr]).decode()
    if edm in ("Edm.Guid", "Edm.String"):
        match = _STRING_RE.match(expr)
        return orjson.dumps(match.group(1).replace("''", "'")).decode() if match else None
    if edm == "Edm.Boolean":
        return {"0": "false", "1": "true"}.get(expr)
    if edm != "Edm.DateTime" and _NUMBER_RE.match(expr):
        return expr
    return None


@lru_cache(maxsize=512)
def row_sql(ep: Endpoint, fields: tuple[str, ...], user: str = "", username: str = "") -> str:
    """SQL expression for the JSON object of one row with ``fields`` (in that order).

    Values that are the same on every row (nulls, literals, the user) are written into the SQL
    text as JSON already, so SQLite only concatenates them.
    """
    consts = {":user": user, ":username": username}
    types = ep.fields
    uri_parts: list[tuple[bool, str]] = [
        (False, ":base"), (True, "/api/v1/"), (False, ":div"), (True, f"/{ep.path}("),
        (False, key_literal_sql(ep)), (True, ")"),
    ]
    parts: list[tuple[bool, str]] = [(True, '{"__metadata":{"uri":"'), *uri_parts,
                                     (True, f'","type":"{ep.type_name}"}}')]
    for name in fields:
        edm = types[name]
        parts.append((True, f',"{name}":'))
        if is_navigation(edm):
            parts += [(True, '{"__deferred":{"uri":"'), *uri_parts, (True, f'/{name}"}}}}')]
            continue
        expr = ep.expression(name)
        constant = constant_json(edm, expr, consts)
        if constant is not None:
            parts.append((True, constant))
        else:
            parts.append((False, value_sql(edm, expr)))
    parts.append((True, "}"))
    return _merge(parts)


def aliases(*sql: str) -> set[str]:
    """Join aliases referenced in SQL snippets (``e.Modified`` -> ``e``)."""
    found: set[str] = set()
    for text in sql:
        found |= set(_ALIAS_RE.findall(text))
    found.discard("t")
    return found


# -- $filter -> SQL ------------------------------------------------------------------------------

def _no_property(ep: Endpoint, name: str) -> ODataError:
    return ODataError(400, f"No property '{name}' exists in type '{ep.type_name}'.")


def _convert(ep: Endpoint, field: str, lit: Literal) -> object:
    edm = ep.fields[field]
    kind = lit.kind
    if edm == "Edm.DateTime":
        ok = kind == "datetime"
    elif edm == "Edm.Guid":
        ok = kind in ("guid", "string")
    elif edm == "Edm.String":
        ok = kind == "string"
    elif edm == "Edm.Boolean":
        ok = kind == "bool"
    else:
        ok = kind in ("int", "float")
    if not ok:
        raise ODataError(400, f"Operator incompatible with operand types '{edm}' and '{kind}' "
                              f"for property '{field}'.")
    if kind == "bool":
        return int(bool(lit.value))
    if kind == "int" and not -(2**63) <= int(lit.value) < 2**63:  # type: ignore[call-overload]
        raise ODataError(400, f"The value {lit.value} is out of range for '{field}' ({edm}).")
    if kind in ("guid", "string") and edm == "Edm.Guid":
        return str(lit.value).lower()
    return lit.value


def filter_sql(ep: Endpoint, node: object, params: list[object]) -> str:
    """SQL condition for a parsed ``$filter``; appends values to ``params``.

    Raises:
        ODataError: 400 for unknown properties or literals of the wrong type.
    """
    if isinstance(node, Logical):
        if node.op == "not":
            return f"NOT ({filter_sql(ep, node.left, params)})"
        left = filter_sql(ep, node.left, params)
        right = filter_sql(ep, node.right, params)
        return f"({left}) {node.op.upper()} ({right})"
    if isinstance(node, Call):
        if node.field not in ep.fields:
            raise _no_property(ep, node.field)
        expr = ep.expression(node.field) or "NULL"
        if node.name == "substringof":
            params.append(node.text)
            return f"instr({expr}, ?) > 0"
        escaped = node.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(escaped + "%" if node.name == "startswith" else "%" + escaped)
        return f"({expr}) LIKE ? ESCAPE '\\'"
    assert isinstance(node, Comparison)
    if node.field not in ep.fields or is_navigation(ep.fields[node.field]):
        raise _no_property(ep, node.field)
    expr = ep.expression(node.field) or "NULL"
    if node.literal.kind == "null":
        if node.op not in ("eq", "ne"):
            raise ODataError(400, "Bad Request - Error in query syntax.")
        return f"({expr}) IS {'NOT ' if node.op == 'ne' else ''}NULL"
    params.append(_convert(ep, node.field, node.literal))
    return f"({expr}) {COMPARISONS[node.op]} ?"
