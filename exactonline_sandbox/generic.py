"""Rows for the generic endpoints: every reference endpoint without a specific view.

A generic endpoint (:func:`.catalog.generic_endpoints`) keeps its rows in a table of its own,
``gen_<path>`` with one column ``c<i>`` per stored field, made the first time a request needs
it (so start-up costs nothing) and kept in the ``--db`` file. The rows are made up from the
reference alone: field names, Edm types and the key. They are deterministic (seeded by the
sandbox seed, the endpoint path and the division, so the same seed gives the same rows) and
tied to what the division already has:

* fields naming master data take a real row's values: ``Account``/``AccountCode``/
  ``AccountName`` (also ``OrderedBy``, ``InvoiceTo``, ``Supplier``, ...), ``Item``,
  ``GLAccount``, ``Employee``, ``Project``, ``Contact``, the cost center, cost unit, VAT code
  and journal codes, ``Creator``/``Modifier`` (the user of ``/current/Me``), ``Division``;
* lines point at their header in the same service (``GoodsDeliveryLines.EntryID`` ->
  ``GoodsDeliveries``, ``QuotationLines.QuotationID``, ``ScheduleEntries.Schedule``, ...);
* sync rows get Timestamps in the division's rowversion space (below every ledger change
  made later, lowered by a simulated division move like every other Timestamp);
* ``Created`` <= ``Modified``, dates inside the ledger's years, ``EndDate`` after
  ``StartDate``, amounts in cents, percentages as fractions, ``Currency`` EUR.

Other free-text fields are null, as Exact sends unset properties. Nothing here is consistent
with the ledger beyond those links; endpoints whose numbers must reconcile get a specific view.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Protocol

from exactonline_sandbox import catalog, generator
from exactonline_sandbox.catalog import Endpoint, singular
from exactonline_sandbox.odata import wall_ms
from exactonline_sandbox.timeline import Span

#: ms slot (``utc_ms % 16``) of generic rows: the ledger's tables use 0..13 (generator.SLOTS).
SLOT = 15


class StoreLike(Protocol):
    """What :func:`ensure` needs of the :class:`~.store.Store`."""

    conn: sqlite3.Connection
    lock: threading.RLock
    seed: int
    as_of: date
    divisions: list[int]
    rows: int
    user: str
    username: str
    ts_offset: dict[int, int]
    generic_ready: set[str]


# -- links --------------------------------------------------------------------------------------

# master table -> SQL of (ID, Code, name) rows of a division
MASTERS = {
    "account": "SELECT ID, Code, Name FROM account WHERE division = ? ORDER BY rid",
    "contact": "SELECT ID, NULL, FullName FROM contact WHERE division = ? ORDER BY rid",
    "item": "SELECT ID, Code, Description FROM item WHERE division = ? ORDER BY rid",
    "glacc": "SELECT ID, Code, Description FROM glacc WHERE division = ? ORDER BY rid",
    "employee": "SELECT ID, Code, FullName FROM employee WHERE division = ? ORDER BY rid",
    "project": "SELECT ID, Code, Description FROM project WHERE division = ? ORDER BY rid",
    "costcenter": "SELECT Code, Code, Description FROM costcenter WHERE division = ? ORDER BY rid",
    "costunit": "SELECT Code, Code, Description FROM costunit WHERE division = ? ORDER BY rid",
    "vatcode": "SELECT Code, Code, Description FROM vatcode WHERE division = ? ORDER BY rid",
    "journal": "SELECT Code, Code, Description FROM journal WHERE division = ? ORDER BY rid",
}
# field name -> master table it refers to (Guid fields, and the code fields of code-keyed masters)
MASTER_FIELDS = {
    **dict.fromkeys(("Account", "AccountId", "InvoiceTo", "OrderedBy", "DeliverTo",
                     "DeliveryAccount", "InvoiceAccount", "OrderAccount", "Supplier",
                     "Customer"), "account"),
    **dict.fromkeys(("Contact", "AccountContact", "DeliveryContact", "InvoiceToContactPerson",
                     "OrderedByContactPerson", "DeliverToContactPerson", "InvoiceAccountContact",
                     "OrderAccountContact", "DeliveryAccountContact", "AccountMainContact"),
                    "contact"),
    **dict.fromkeys(("Item", "ItemId", "PartItem", "DefaultItem"), "item"),
    **dict.fromkeys(("GLAccount", "GLCosts", "GLRevenue", "GLStock", "GLCostsWorkInProgress",
                     "GLRevenueWorkInProgress"), "glacc"),
    **dict.fromkeys(("Employee", "Salesperson", "SalesPerson", "Approver"), "employee"),
    "Project": "project",
    **dict.fromkeys(("CostCenter", "Costcenter"), "costcenter"),
    **dict.fromkeys(("CostUnit", "Costunit"), "costunit"),
    **dict.fromkeys(("VATCode", "VatCode"), "vatcode"),
    **dict.fromkeys(("Journal", "JournalCode"), "journal"),
}
USER_FIELDS = {"Creator", "Modifier", "syscreator", "sysmodifier", "CreatedBy", "UserID"}
NAME_SUFFIXES = ("Name", "Description", "FullName", "Fullname")


def _base(field: str) -> str:
    """``AccountId`` -> ``Account``, ``JournalCode`` -> ``Journal`` (prefix of its siblings)."""
    for suffix in ("Id", "ID", "Code"):
        if field.endswith(suffix) and len(field) > len(suffix):
            return field[:-len(suffix)]
    return field


@dataclass(frozen=True)
class ParentLink:
    """Child field ``field`` takes the ``column`` values of rows of ``parent``."""

    field: str
    parent: Endpoint
    column: str


@cache
def parent_links(path: str) -> tuple[ParentLink, ...]:
    """Links of a generic endpoint to the headers it belongs to (same family and service).

    ``GoodsDeliveryLines.EntryID`` -> ``GoodsDeliveries.EntryID`` (a ``...Lines`` endpoint and
    the endpoint its name starts with), ``ScheduleEntries.Schedule`` -> ``Schedules.ID`` (a
    field named as another endpoint's entity).
    """
    child = catalog.generic_endpoints()[path.lower()]
    service, last = child.path.rsplit("/", 1)
    stem = last[:-5] if last.endswith("Lines") else None
    links: list[ParentLink] = []
    taken: set[str] = {"ID", child.key}  # the row's own identity is never a link
    for parent in catalog.generic_endpoints().values():
        p_service, p_last = parent.path.rsplit("/", 1)
        if parent is child or p_service != service or parent.family != child.family:
            continue
        if stem and singular(p_last).startswith(stem) and not p_last.endswith("Lines"):
            for field in (parent.key, "EntryID", f"{stem}ID"):
                if field not in taken and child.fields.get(field) == "Edm.Guid" \
                        and parent.fields.get(field) == "Edm.Guid":
                    links.append(ParentLink(field, parent, field))
                    taken.add(field)
                    break
        name = singular(p_last)
        if child.fields.get(name) == "Edm.Guid" and name not in taken:
            column = "ID" if parent.fields.get("ID") == "Edm.Guid" else parent.key
            links.append(ParentLink(name, parent, column))
            taken.add(name)
    return tuple(links)


# -- tables -------------------------------------------------------------------------------------

def table_name(ep: Endpoint) -> str:
    """``gen<version>_<path>``: the endpoint's table (see catalog.GENERIC_VERSION)."""
    return ep.view.table


def _sql_type(edm: str) -> str:
    if edm in ("Edm.Guid", "Edm.String"):
        return "TEXT"
    return "REAL" if edm == "Edm.Double" else "INTEGER"


def generic_tables(conn: sqlite3.Connection) -> list[str]:
    """Every generic table in the database (any version)."""
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'gen%\\_%' ESCAPE '\\'")]


def generic_sync_tables(conn: sqlite3.Connection) -> list[str]:
    """Generic tables of sync endpoints that exist (they carry a ``Timestamp`` column)."""
    wanted = {table_name(ep): ep for ep in catalog.generic_endpoints().values()
              if ep.family == "sync"}
    return [name for name in generic_tables(conn) if name in wanted]


def ensure(store: StoreLike, ep: Endpoint) -> None:
    """Make and fill ``ep``'s table for every division unless it exists (call under the lock)."""
    table = table_name(ep)
    if table in store.generic_ready:
        return
    with store.lock:
        exists = store.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                    "name = ?", (table,)).fetchone()
        if not exists:
            for link in parent_links(ep.path):
                ensure(store, link.parent)
            _build(store, ep, table)
        store.generic_ready.add(table)


def _build(store: StoreLike, ep: Endpoint, table: str) -> None:
    fields = [(name, edm) for name, edm in ep.fields.items() if catalog.stored(edm)
              and name != "Division"]
    cols = ", ".join(f"{ep.view.fields[name][2:]} {_sql_type(edm)}" for name, edm in fields)
    conn = store.conn
    in_tx = conn.in_transaction
    if not in_tx:
        conn.execute("BEGIN")
    try:
        conn.execute(f"CREATE TABLE {table} (rid INTEGER PRIMARY KEY, division INTEGER, {cols})")
        rid = 0
        marks = ", ".join("?" * (len(fields) + 2))
        for division in store.divisions:
            rows = RowMaker(store, ep, division).rows(fields)
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})",  # noqa: S608
                             [(rid + i + 1, division, *row) for i, row in enumerate(rows)])
            rid += len(rows)
        key = "Timestamp" if ep.family == "sync" else ep.key
        if key in ep.view.fields and key != "Division":
            conn.execute(f"CREATE INDEX ix_{table}_key ON {table}(division, "
                         f"{ep.view.fields[key][2:]})")
        for link in parent_links(ep.path):
            conn.execute(f"CREATE INDEX ix_{table}_{link.field} ON {table}("
                         f"{ep.view.fields[link.field][2:]})")
    except BaseException:
        if not in_tx:
            conn.execute("ROLLBACK")
        raise
    if not in_tx:
        conn.execute("COMMIT")


# -- rows ---------------------------------------------------------------------------------------

def row_count(ep: Endpoint, rows: int) -> int:
    """Rows per division: 1 per 40 transaction lines, 5 to 250 (lines endpoints twice that)."""
    base = generator.clamp(rows // 40, 5, 250)
    last = ep.path.rsplit("/", 1)[1]
    return base * 2 if last.endswith(("Lines", "Entries", "Transactions")) else base


class RowMaker:
    """Deterministic rows of one generic endpoint for one division."""

    def __init__(self, store: StoreLike, ep: Endpoint, division: int) -> None:
        self.store, self.ep, self.division = store, ep, division
        self.rng = random.Random(f"exactonline-sandbox-generic:{store.seed}:{ep.path}:"  # noqa: S311
                                 f"{division}")
        self.guid = generator.Ids(self.rng)
        self.masters: dict[str, list[tuple]] = {}
        self.pools: dict[str, list[str]] = {}
        self.parents: dict[str, list[Any]] = {}
        for link in parent_links(ep.path):
            column = link.parent.view.fields[link.column][2:]
            self.parents[link.field] = [value for (value,) in store.conn.execute(
                f"SELECT {column} FROM {table_name(link.parent)} WHERE division = ? "  # noqa: S608
                "ORDER BY rid", (division,))]
        self.index = sorted(catalog.generic_endpoints()).index(ep.path.lower())
        self.span = Span.ending(store.as_of)  # the ledger's window (--as-of)

    def master(self, table: str) -> list[tuple]:
        """The division's rows of a master table as (ID, Code, name)."""
        if table not in self.masters:
            self.masters[table] = self.store.conn.execute(MASTERS[table],
                                                          (self.division,)).fetchall()
        return self.masters[table]

    def plan(self, fields: list[tuple[str, str]]) -> list[tuple[str, str, str, Any]]:
        """(field, role, Edm type, detail) per field, links first so siblings can follow.

        Roles: ``ts`` (Timestamp), ``parent`` (header link), ``master`` (a master-data row:
        detail = table), ``user``, ``sibling`` (detail = (base field, 1 code | 2 name)),
        ``value`` (made up from name and type).
        """
        linked: dict[str, str] = {}
        first: list[tuple[str, str, str, Any]] = []
        rest: list[tuple[str, str]] = []
        for name, edm in fields:
            if name == "Timestamp":
                first.append((name, "ts", edm, None))
            elif name in self.parents:
                first.append((name, "parent", edm, None))
            elif name in MASTER_FIELDS and edm in ("Edm.Guid", "Edm.String"):
                first.append((name, "master", edm, MASTER_FIELDS[name]))
                linked[_base(name)] = name
            elif name in USER_FIELDS and edm == "Edm.Guid":
                first.append((name, "user", edm, None))
                linked[_base(name)] = name
            else:
                rest.append((name, edm))
        for name, edm in rest:
            detail = next(((linked[base], 1 if suffix == "Code" else 2)
                           for base in linked for suffix in ("Code", *NAME_SUFFIXES)
                           if name == base + suffix), None)
            if detail is not None:
                first.append((name, "sibling", edm, detail))
            else:
                first.append((name, "value", edm, _MAKERS.get(edm)))
        return first

    def rows(self, fields: list[tuple[str, str]]) -> list[tuple]:
        """Every row, values in the order of ``fields``."""
        n = row_count(self.ep, self.store.rows)
        span = (self.span.end - self.span.setup) // (n + 1)
        plan = self.plan(fields)
        parent_field = next(iter(self.parents), None)
        out = []
        lines: dict[Any, int] = {}
        for j in range(n):
            utc = self.span.setup + j * span + (self.index % 128) * 16 + SLOT
            values = self.row(plan, j, utc)
            if "LineNumber" in values:
                parent = values.get(parent_field) if parent_field else None
                lines[parent] = lines.get(parent, 0) + 1
                values["LineNumber"] = lines[parent]
            out.append(tuple(values[name] for name, _ in fields))
        return out

    def row(self, plan: list[tuple[str, str, str, Any]], j: int, utc: int) -> dict[str, Any]:
        """One row as field -> raw value (see :mod:`.render` for the stored forms)."""
        rng = self.rng
        chosen: dict[str, tuple] = {}
        values: dict[str, Any] = {}
        modified = wall_ms(utc)
        created = max(wall_ms(self.span.setup), modified - rng.randrange(0, 30) * generator.DAY)
        for name, role, _edm, detail in plan:
            if role == "value":
                values[name] = None if detail is None else detail(
                    self, name, j, created, modified, values)
            elif role == "sibling":
                row = chosen.get(detail[0])
                values[name] = None if row is None else row[detail[1]]
            elif role == "ts":
                values[name] = timestamp_of(utc, self.store.ts_offset.get(self.division, 0))
            elif role == "parent":
                values[name] = rng.choice(self.parents[name]) if self.parents[name] else None
            elif role == "master":
                rows = self.master(detail)
                chosen[name] = rng.choice(rows) if rows else (None, None, None)
                values[name] = chosen[name][0]
            else:  # user
                chosen[name] = (self.store.user, None, self.store.username)
                values[name] = self.store.user
        return values


def _guid(m: RowMaker, name: str, j: int, *_: Any) -> str | None:
    if name in (m.ep.key, "ID") or name == f"{singular(m.ep.path.rsplit('/', 1)[1])}ID":
        return m.guid()
    pool = m.pools.setdefault(name, [m.guid() for _ in range(4)])
    return None if m.rng.random() < 0.4 else m.rng.choice(pool)


def _datetime(m: RowMaker, name: str, j: int, created: int, modified: int,
              done: dict[str, Any]) -> int | None:
    if name in ("Created", "syscreated"):
        return created
    if name in ("Modified", "sysmodified"):
        return modified
    days = (m.span.end - m.span.start) // generator.DAY
    day = generator.day_of(wall_ms(m.span.start + m.rng.randrange(0, days) * generator.DAY))
    if name.startswith("End") or name in ("DueDate", "ValidTo", "ExpiryDate"):
        start = next((v for k, v in done.items() if k.startswith("Start") and isinstance(v, int)),
                     None)
        if m.rng.random() < 0.5:
            return None
        return (start or day) + m.rng.randrange(30, 365) * generator.DAY
    return day


def _double(m: RowMaker, name: str, *_: Any) -> float:
    low = name.lower()
    if "percentage" in low:
        return m.rng.choice((0.0, 0.09, 0.21))
    if "rate" in low:
        return 1.0
    if "quantity" in low or "hours" in low:
        return float(m.rng.randint(1, 40))
    return m.rng.randrange(100, 500_000) / 100


def _int(m: RowMaker, name: str, j: int, *_: Any) -> int:
    if name in (m.ep.key, "HID", "LineNumber") or name.endswith("Number"):
        return (j + 1) if name != "HID" else 100_000 + j + 1
    if name.endswith("Year"):
        return m.rng.choice((2024, 2025))
    if name.endswith("Period"):
        return m.rng.randint(1, 12)
    return m.rng.randint(1, 3)


def _bool(m: RowMaker, *_: Any) -> int:
    return int(m.rng.random() < 0.2)


def _string(m: RowMaker, name: str, j: int, created: int, modified: int,
            done: dict[str, Any]) -> str | None:
    entity = singular(m.ep.path.rsplit("/", 1)[1])
    for suffix in ("Code", *NAME_SUFFIXES):  # describes a Guid field of the row: null with it
        base = name[:-len(suffix)]
        if name.endswith(suffix) and base and m.ep.fields.get(base) == "Edm.Guid" \
                and base != m.ep.key:
            return None if done.get(base) is None else f"{base} {done[base][:4].upper()}"
    if name in ("Currency", "CurrencyCode") or name.endswith("Currency"):
        return "EUR"
    if name in ("Country", "CountryCode", "Language", "Legislation"):
        return "NL"
    if name == "City":
        return m.rng.choice(generator.CITIES)
    if name == "Email":
        return f"{entity.lower()}{j + 1}@sandbox.example"
    if name == m.ep.key or name == "Code":
        return f"{entity[:3].upper()}{j + 1:04d}"
    if name in ("Description", "Name"):
        return f"{entity} {j + 1}"
    if name.endswith("Description") or name.endswith("Name"):
        return f"{name[:-11] if name.endswith('Description') else name[:-4]} {m.rng.randint(1, 9)}"
    return None


_MAKERS: dict[str, Callable[..., Any]] = {
    "Edm.Guid": _guid, "Edm.DateTime": _datetime, "Edm.Double": _double,
    "Edm.Int16": _int, "Edm.Int32": _int, "Edm.Int64": _int, "Edm.Byte": _int,
    "Edm.Boolean": _bool, "Edm.String": _string,
}


def timestamp_of(utc: int, offset: int) -> int:
    """The Timestamp of a generic sync row modified at ``utc`` (see generator.timestamp)."""
    return generator.timestamp(utc) - offset
