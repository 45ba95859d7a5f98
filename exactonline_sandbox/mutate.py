"""``POST /_sandbox/mutate``: create, update and delete rows the way Exact users would.

Body: ``{"division": n, "stream": "<tap stream>", "action": "create"|"update"|"delete",
"count": k}`` with optional ``"ids": [...]`` (update/delete these instead of ``count`` rows; an
id may be the stream key or the owning entity's key, e.g. an EntryID for transaction_lines) and
``"fields": {...}`` (Exact field values to set on update/create; fields stored by the sandbox
only). Answer: ``{"changed": [{"stream", "action", "ID", "Timestamp"}]}``, one item per changed
row and stream that shows it (Timestamp = its new rowversion; null for deletes and non-sync
streams): a payment term is a row of ``payment_terms`` and of ``payments`` or ``receivables``.

Consistency kept (fact sheet §5): an update of an entry, invoice or purchase order bumps the
Timestamp of all its rows; creates of entries write balanced lines (and a sales invoice with a
receivable, or a payment); deletes write one ``sync/Deleted`` row per deleted sync row with the
stream's EntityType. ``Modified`` = sandbox clock now; ``Created`` too for creates. Every entity
changed fires one :class:`ChangeEvent` (webhook topic + standard endpoint by key). After a
change to the ledger (entries, invoices, payment terms) Exact's reports are recomputed
(:mod:`.reports`): ReportingBalance, opening balances, open-item and aging lists, and the
status of the payment terms whose settlement changed. What each stream maps to:
:mod:`.mutable`.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from exactonline_sandbox import catalog, reports
from exactonline_sandbox.fastrows import (
    DIMENSIONS,
    Snippets,
    refresh_entry_js,
    refresh_snippets,
)
from exactonline_sandbox.generator import SLOT_COUNT, SLOTS, DivisionGenerator, Ids
from exactonline_sandbox.ledger import BANK, CASH, GENERAL, PURCHASE, SALES, LedgerGenerator
from exactonline_sandbox.mutable import (
    CHILDREN,
    ENTRY,
    ENTRY_KIND,
    PROTECTED,
    SIMPLE,
    SYNC_ROWS,
)
from exactonline_sandbox.odata import ODataError, parse_date_value, wall_ms
from exactonline_sandbox.timeline import Span

if TYPE_CHECKING:
    from exactonline_sandbox.dataset import Dataset


class MutationError(Exception):
    """A mutation request that cannot be applied (message says what to change)."""


#: Most rows one mutation may create, update or delete.
MAX_COUNT = 1000


class Mutator:
    """Applies mutation requests to a World's store (under the store lock)."""

    def __init__(self, world: Dataset) -> None:
        self.world = world
        self.store = world.store
        self.conn = world.store.conn
        # The serial seeds the IDs of created rows; it lives in the database so a sandbox
        # restarted on the same --db file never hands out an ID twice.
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = 'mutation_serial'"
        ).fetchone()
        self.serial = int(row[0]) if row else 0
        self._entries = 0  # entries created by the current mutation
        self.draws = 0  # random generators handed out in this mutation (see rng())

    # -- entry point ------------------------------------------------------------------------
    def apply(self, body: Any) -> list[dict[str, Any]]:
        """Validate and apply one request; returns the ``changed`` list.

        Raises:
            MutationError: Unknown division/stream/action, bad ids or fields.
        """
        if not isinstance(body, dict):
            raise MutationError("the body must be a JSON object")
        division = body.get("division")
        if division not in self.world.accessible_divisions:
            raise MutationError(f"division must be one of {self.world.accessible_divisions}")
        stream = body.get("stream")
        action = body.get("action")
        if action not in ("create", "update", "delete"):
            raise MutationError('action must be "create", "update" or "delete"')
        ids = body.get("ids")
        count = body.get("count", 1 if ids is None else None)
        if ids is not None and (not isinstance(ids, list) or action == "create"):
            raise MutationError('"ids" must be a list and is for update/delete only')
        if ids is not None and not all(isinstance(i, (str, int)) and not isinstance(i, bool)
                                       for i in ids):
            raise MutationError('"ids" must be a list of keys (strings or numbers)')
        if ids is None and (not isinstance(count, int) or isinstance(count, bool)
                            or not 1 <= count <= MAX_COUNT):
            raise MutationError(f'"count" must be an integer from 1 to {MAX_COUNT}')
        fields = body.get("fields") or {}
        if not isinstance(fields, dict):
            raise MutationError('"fields" must be an object of Exact field values')
        with self.store.lock:
            self.serial += 1
            self._entries = 0
            self.draws = 0
            self.conn.execute("BEGIN")
            try:
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('mutation_serial', ?)", (str(self.serial),)
                )
                changed, events = self._dispatch(division, stream, action, ids, count, fields)
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        for event in events:
            self.world.emit(event)
        return changed

    def _dispatch(self, division: int, stream: Any, action: str, ids: list | None,
                  count: int | None, fields: dict) -> tuple[list, list]:
        if stream in SIMPLE:
            return self.simple(division, stream, action, ids, count, fields)
        if stream in ENTRY:
            result = self.entries(division, stream, action, ids, count, fields)
            self.refresh_reports(division)
            return result
        if stream == "sales_invoices":
            result = self.invoices(division, action, ids, count, fields)
            self.refresh_reports(division)
            return result
        if stream == "purchase_orders":
            return self.purchase_orders(division, action, ids, count, fields)
        if stream == "divisions" and action == "update":
            return self.move_division(division), []
        streams = sorted([*SIMPLE, *ENTRY, "sales_invoices", "purchase_orders",
                          "divisions (update only)"])
        raise MutationError(f"stream must be one of {streams}")

    # -- helpers ----------------------------------------------------------------------------
    def now(self) -> tuple[int, int]:
        """(UTC ms, wall-clock ms) of the sandbox clock."""
        utc = int(self.world.clock.now() * 1000)
        return utc, wall_ms(utc)

    def next_ts(self, division: int, rows: int = 1) -> int:
        """First of ``rows`` fresh rowversions, above every Timestamp and ``now * 32``."""
        utc, _ = self.now()
        first = max(self.store.next_ts[division], utc * 32 - self.store.ts_offset[division])
        self.store.next_ts[division] = first + rows
        return first

    def rng(self, division: int) -> random.Random:
        """A deterministic generator, a new one per call within this mutation.

        Each call gets its own seed, so the rows of a ``count`` > 1 create (and the
        sync/Deleted rows of several deletes) never share IDs.
        """
        self.draws += 1
        suffix = "" if self.draws == 1 else f":{self.draws}"
        return random.Random(  # noqa: S311
            f"mutate:{self.world.options.seed}:{division}:{self.serial}{suffix}")

    def pick(self, sql: str, args: tuple, ids: list | None, count: int | None,
             idcond: str) -> list[tuple]:
        """Rows of ``sql`` (``{cond}`` placeholder) chosen by ``ids`` or the last ``count``.

        ``idcond`` is the SQL condition matching one id (``?`` placeholders, all bound to it).
        """
        if ids is not None:
            out, seen = [], set()
            for value in ids:
                text = str(value).lower() if "-" in str(value) else str(value)
                cond = idcond.replace("?", "?")
                rows = self.conn.execute(sql.format(cond=cond),
                                         (*args, *([text] * idcond.count("?")))).fetchall()
                if not rows:
                    raise MutationError(f"no row with id {value!r} in that stream and division")
                for row in rows:
                    if row[0] not in seen:
                        seen.add(row[0])
                        out.append(row)
            return out
        rows = self.conn.execute(sql.format(cond="1") + " ORDER BY 1 DESC LIMIT ?",
                                 (*args, count)).fetchall()
        if not rows:
            raise MutationError("no rows to change in that stream and division")
        return rows

    def columns_for(self, table: str, stream: str, fields: dict) -> dict[str, Any]:
        """Stored columns for ``fields`` (Exact names), values converted to storage form."""
        from exactonline_sandbox.schema import columns

        cols = set(columns(table)) - PROTECTED
        ep = catalog.BY_STREAM.get(stream)
        types = ep.fields if ep else {}
        out: dict[str, Any] = {}
        for name, value in fields.items():
            if name not in cols:
                raise MutationError(f"field {name!r} cannot be set on {stream}; settable: "
                                    f"{sorted(c for c in cols if not c.endswith('_r'))}")
            # the column's Edm type: the field of that name, or the field the view maps onto it
            edm = types.get(name) or next(
                (types[f] for f, expr in (ep.view.fields.items() if ep else ())
                 if expr == f"t.{name}" and f in types), "")
            out[name] = self.storage_value(stream, name, edm, value)
        return out

    @staticmethod
    def storage_value(stream: str, name: str, edm: str, value: Any) -> Any:
        """A field value as stored, checked against the field's Edm type.

        Raises:
            MutationError: the value does not fit the type (a list, text for a number, ...).
        """
        def bad(want: str) -> MutationError:
            return MutationError(f"field {name!r} of {stream} takes {want}; got {value!r}")

        if value is None:
            return None
        if edm == "Edm.DateTime":
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise bad("a date (/Date(ms)/, ISO text or milliseconds)")
            try:
                return parse_date_value(value)
            except ODataError:
                raise bad("a date (/Date(ms)/, ISO text or milliseconds)") from None
        if edm == "Edm.Boolean":
            if not isinstance(value, bool):
                raise bad("true or false")
            return int(value)
        if edm in ("Edm.Double", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or abs(value) >= 2**63:
                raise bad("a number")
            if edm != "Edm.Double" and value != int(value):
                raise bad("a whole number")
            return value
        if edm in ("Edm.String", "Edm.Guid") and not isinstance(value, str):
            raise bad("text")
        if isinstance(value, (dict, list)):
            raise bad("a single value")
        return value

    def deleted(self, division: int, entity_type: int, ids: list[str]) -> None:
        """Write one sync/Deleted row per deleted sync row."""
        if not ids:
            return
        _, wall = self.now()
        first = self.next_ts(division, len(ids))
        guid = Ids(self.rng(division))
        start = self.conn.execute("SELECT coalesce(max(rid), 0) FROM deleted").fetchone()[0]
        self.conn.executemany(
            "INSERT INTO deleted VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(start + i + 1, division, first + i, guid(), key, entity_type, wall)
             for i, key in enumerate(ids)])

    def event(self, division: int, topic: str, action: str, key: str, path: str) -> Any:
        """A ChangeEvent for one entity."""
        from exactonline_sandbox.dataset import ChangeEvent

        literal = f"'{key}'" if path == "general/Currencies" else f"guid'{key}'"
        return ChangeEvent(division=division, topic=topic, action=action.capitalize(),
                           key=key, endpoint_path=f"/api/v1/{division}/{path}({literal})")

    # -- simple tables ----------------------------------------------------------------------
    def simple(self, division: int, stream: str, action: str, ids: list | None,
               count: int | None, fields: dict) -> tuple[list, list]:
        """Create/update/delete rows of a one-table stream (dimension snippets follow)."""
        changed, events = self._simple(division, stream, action, ids, count, fields)
        if SIMPLE[stream][0] in {table for table, *_ in DIMENSIONS}:
            refresh_snippets(self.conn, division)
        if SIMPLE[stream][0] == "cashflow":
            changed = self.with_term_twins(changed)
            self.refresh_reports(division)
        return changed, events

    def with_term_twins(self, changed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each changed payment term also as a row of the other stream that shows it.

        A row of table cashflow is a row of ``payment_terms`` (sync) and of ``payments`` or
        ``receivables`` (by its kind; unknown after a delete, then both are named).
        """
        out = []
        for item in changed:
            out.append(item)
            kind = self.conn.execute("SELECT kind FROM cashflow WHERE ID = ?",
                                     (item["ID"],)).fetchone()
            names = ({"payment_terms", "payments" if kind[0] == "P" else "receivables"}
                     if kind else {"payment_terms", "payments", "receivables"})
            out += [{**item, "stream": name} for name in sorted(names - {item["stream"]})]
        return out

    def refresh_reports(self, division: int) -> None:
        """Recompute Exact's reports of a division after its ledger changed (:mod:`.reports`)."""
        _, wall = self.now()
        reports.refresh(self.conn, division, self.world.as_of, modified=wall,
                        next_ts=lambda n: self.next_ts(division, n))

    def _simple(self, division: int, stream: str, action: str, ids: list | None,
                count: int | None, fields: dict) -> tuple[list, list]:
        table, key, touch, topic, path = SIMPLE[stream]
        kind = {"payments": " AND kind = 'P'", "receivables": " AND kind = 'R'"}.get(stream, "")
        values = self.columns_for(table, stream, fields)
        has_ts = table in SYNC_ROWS
        etype = catalog.ENTITY_TYPES.get("payment_terms" if table == "cashflow" else stream)
        _, wall = self.now()
        changed, events = [], []
        if action == "create":
            template = self.conn.execute(
                f"SELECT * FROM {table} WHERE division = ?{kind} ORDER BY rid DESC LIMIT 1",  # noqa: S608
                (division,)).fetchone()
            if template is None:
                raise MutationError(f"no {stream} rows to model a new one on")
            cols = [d[0] for d in self.conn.execute(f"SELECT * FROM {table} LIMIT 0").description]  # noqa: S608
            guid = Ids(self.rng(division))
            for i in range(count or 1):
                row = dict(zip(cols, template, strict=True))
                row["rid"] = None
                for column in ("ID", "EntryID"):
                    if column in row:
                        row[column] = guid()
                if table == "account":
                    number = self.conn.execute("SELECT count(*) FROM account WHERE division = ?",
                                               (division,)).fetchone()[0] + 1
                    row["Code"] = f"{number:>18}"
                    row["Name"] = f"New account {number}"
                elif table == "currency":
                    row["Code"] = f"X{self.serial % 100:02d}{i}"
                elif "Code" in row and row["Code"] is not None:
                    row["Code"] = f"N{self.serial}-{i}"
                row["Created"] = row["Modified"] = wall
                if has_ts:
                    row["Timestamp"] = self.next_ts(division)
                row.update(values)
                self.conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "  # noqa: S608
                                  f"({', '.join('?' * len(cols))})", list(row.values()))
                changed.append({"stream": stream, "action": action, "ID": row[key],
                                "Timestamp": row.get("Timestamp") if has_ts else None})
                events.append(self.event(division, topic, action, row[key], path))
            return changed, events
        rows = self.pick(f"SELECT rid, {key} FROM {table} WHERE division = ?{kind} AND {{cond}}",  # noqa: S608
                         (division,), ids, count, f"{key} = ?")
        for rid, key_value in rows:
            events.append(self._simple_event(division, stream, action, rid, key_value))
            if action == "delete":
                self.conn.execute(f"DELETE FROM {table} WHERE rid = ?", (rid,))  # noqa: S608
                removed = [key_value]
                if table in CHILDREN:
                    child, link, child_stream = CHILDREN[table]
                    lines = [r[0] for r in self.conn.execute(
                        f"SELECT ID FROM {child} WHERE {link} = ?", (rid,))]  # noqa: S608
                    self.conn.execute(f"DELETE FROM {child} WHERE {link} = ?", (rid,))  # noqa: S608
                    self.deleted(division, catalog.ENTITY_TYPES[child_stream], lines)
                if etype:
                    self.deleted(division, etype, removed)
                changed.append({"stream": stream, "action": action, "ID": key_value,
                                "Timestamp": None})
            else:
                sets = dict(values)
                if touch and touch not in sets:
                    sets[touch] = f"Updated {self.serial}"
                sets["Modified"] = wall
                ts = None
                if has_ts:
                    ts = sets["Timestamp"] = self.next_ts(division)
                assignments = ", ".join(f"{c} = ?" for c in sets)
                self.conn.execute(f"UPDATE {table} SET {assignments} WHERE rid = ?",  # noqa: S608
                                  [*sets.values(), rid])
                changed.append({"stream": stream, "action": action, "ID": key_value,
                                "Timestamp": ts})
        return changed, events

    def _simple_event(self, division: int, stream: str, action: str, rid: int,
                      key: str) -> Any:
        """The ChangeEvent of a one-table stream (sales order lines notify their order)."""
        _table, _key, _touch, topic, path = SIMPLE[stream]
        if stream == "sales_order_lines":
            row = self.conn.execute("SELECT o.ID FROM soline l JOIN sorder o ON o.rid = "
                                    "l.order_r WHERE l.rid = ?", (rid,)).fetchone()
            if row:
                key, path = row[0], "salesorder/SalesOrders"
        elif stream == "time_cost_transactions":
            row = self.conn.execute("SELECT Type FROM tct WHERE rid = ?", (rid,)).fetchone()
            if row and row[0] == 2:
                topic = "CostTransactions"
        return self.event(division, topic, action, key, path)

    # -- journal entries ----------------------------------------------------------------------
    def ledger(self, division: int) -> LedgerGenerator:
        """A ledger generator over the division's current master data.

        Each call gets its own random stream (:meth:`rng`): two entries of one mutation never
        share an ID.
        """
        q = self.conn.execute
        g = DivisionGenerator(self.conn, division, self.world.options.seed, 1, "",
                              Span.ending(self.world.as_of),
                              reports.fiscal_start(self.conn, division))
        g.rng = self.rng(division)
        g.guid = Ids(g.rng)
        g.customers = [r for (r,) in q("SELECT rid FROM account WHERE division = ? AND "
                                       "IsSales = 1 AND IsSupplier = 0", (division,))]
        g.suppliers = [r for (r,) in q("SELECT rid FROM account WHERE division = ? AND "
                                       "IsSupplier = 1", (division,))]
        items = q("SELECT rid, CAST(round(StandardSalesPrice * 100) AS INTEGER), Description, "
                  "IsTime FROM item WHERE division = ?", (division,)).fetchall()
        g.items = [(r, p, d) for r, p, d, t in items if not t] or [(None, 1000, "Goods")]
        g.hour_items = [(r, p, d) for r, p, d, t in items if t] or g.items
        vats = q("SELECT rid, Percentage FROM vatcode WHERE division = ? ORDER BY rid",
                 (division,)).fetchall()
        g.vat = [r for r, _ in vats]
        g.vat_pct = dict(vats)
        g.cc = [r for (r,) in q("SELECT rid FROM costcenter WHERE division = ?", (division,))]
        g.cu = [r for (r,) in q("SELECT rid FROM costunit WHERE division = ?", (division,))]
        g.gl = dict(q("SELECT Code, rid FROM glacc WHERE division = ?", (division,)).fetchall())
        g.journal = dict(q("SELECT Type, rid FROM journal WHERE division = ?",
                           (division,)).fetchall())
        g.supplier_currency = dict(q("SELECT rid, Currency FROM account WHERE division = ? AND "
                                     "Currency IS NOT NULL", (division,)).fetchall())
        for currency, start, rate in q("SELECT SourceCurrency, StartDate, Rate FROM xrate "
                                       "WHERE division = ?", (division,)):
            day = datetime.fromtimestamp(start / 1000, tz=timezone.utc)
            g.rates[(currency, day.year, day.month)] = rate
        g.snips = Snippets(self.conn, division)
        if not (g.customers and g.suppliers and g.vat and g.cc and g.cu):
            raise MutationError("the division lacks the master data to create entries")
        return LedgerGenerator(g)

    def new_entry(self, division: int, kind: int) -> int:
        """Create one balanced entry of ``kind`` now; returns its rid.

        Entry and invoice numbers continue after every number the division has given out
        (the mutation serial lives in the database), so they never repeat.
        """
        self._entries += 1
        lg = self.ledger(division)
        lg.counters = dict.fromkeys(lg.counters, 1_000_000 + self.serial * 100 + self._entries)
        utc, _ = self.now()
        utc = max(utc, -(-self.store.next_ts[division] // 32))
        utc = utc - utc % SLOT_COUNT + SLOTS["tl"]  # the transaction-line ms slot
        if utc * 32 < self.store.next_ts[division]:
            utc += SLOT_COUNT
        plan = {SALES: lg.sales_plan, PURCHASE: lambda: lg.purchase_plan(utc),
                BANK: lg.bank_plan, CASH: lg.cash_plan,
                GENERAL: lambda: lg.general_plan(lg.rng.randint(2, 4))}[kind]()
        lg.write_entry(utc, kind, plan[1], plan[2])
        lg.w.flush()
        self.store.next_ts[division] = (utc + 2) * 32
        rid = self.conn.execute("SELECT max(rid) FROM entry").fetchone()[0]
        self.conn.execute("UPDATE entry SET Created = Modified WHERE rid = ?", (rid,))
        refresh_entry_js(self.conn, lg.g.snips, rid)
        self.conn.execute("UPDATE invoice SET Created = Modified WHERE entry_r = ?", (rid,))
        return rid

    def entry_items(self, stream: str, action: str, rid: int) -> list[dict[str, Any]]:
        """``changed`` items of ``stream`` for entry ``rid`` (call before deleting it)."""
        if stream == "transaction_lines":
            rows = self.conn.execute("SELECT ID, Timestamp FROM tl WHERE entry_r = ? "
                                     "ORDER BY LineNumber", (rid,)).fetchall()
        elif stream.endswith("_lines"):
            cond = "" if stream.startswith("general") else " AND LineNumber > 0"
            rows = [(i, None) for (i,) in self.conn.execute(
                f"SELECT ID FROM tl WHERE entry_r = ? AND is_vat = 0{cond} "  # noqa: S608
                "ORDER BY LineNumber", (rid,))]
        else:
            col = "PurchaseInvoiceID" if stream == "purchase_invoices" else "EntryID"
            rows = [(self.conn.execute(f"SELECT {col} FROM entry WHERE rid = ?",  # noqa: S608
                                       (rid,)).fetchone()[0], None)]
        return [{"stream": stream, "action": action, "ID": i,
                 "Timestamp": None if action == "delete" else ts} for i, ts in rows]

    def entries(self, division: int, stream: str, action: str, ids: list | None,
                count: int | None, fields: dict) -> tuple[list, list]:
        """Create/update/delete journal entries (all their transaction lines)."""
        kind, topic, path, keycol = ENTRY[stream]
        values = self.columns_for("entry", stream, fields)
        changed, events = [], []
        if action == "create":
            for _ in range(count or 1):
                rid = self.new_entry(division, kind if kind is not None else GENERAL)
                changed += self.entry_items(stream, action, rid)
                if values:
                    self.conn.execute(f"UPDATE entry SET {', '.join(f'{c} = ?' for c in values)} "  # noqa: S608
                                      "WHERE rid = ?", [*values.values(), rid])
                    refresh_entry_js(self.conn, Snippets(self.conn, division), rid)
                key = self.conn.execute(f"SELECT {keycol} FROM entry WHERE rid = ?",  # noqa: S608
                                        (rid,)).fetchone()[0]
                events.append(self.event(division, topic, action, key, path))
            return changed, events
        type_cond = "" if kind is None else f" AND {ENTRY_KIND[kind]}"
        rows = self.pick(
            f"SELECT rid, {keycol} FROM entry WHERE division = ?{type_cond} AND {{cond}}",  # noqa: S608
            (division,), ids, count,
            "(EntryID = ? OR PurchaseInvoiceID = ? OR "
            "rid IN (SELECT entry_r FROM tl WHERE ID = ?))")
        _, wall = self.now()
        snippets = Snippets(self.conn, division)
        for rid, key in rows:
            if action == "delete":
                changed += self.entry_items(stream, action, rid)
                lines = [i for (i,) in self.conn.execute(
                    "SELECT ID FROM tl WHERE entry_r = ? ORDER BY LineNumber", (rid,))]
                terms = [i for (i,) in self.conn.execute(
                    "SELECT ID FROM cashflow WHERE entry_r = ?", (rid,))]
                self.conn.execute("DELETE FROM tl WHERE entry_r = ?", (rid,))
                self.conn.execute("DELETE FROM cashflow WHERE entry_r = ?", (rid,))
                self.conn.execute("DELETE FROM entry WHERE rid = ?", (rid,))
                self.deleted(division, catalog.ENTITY_TYPES["transaction_lines"], lines)
                self.deleted(division, catalog.ENTITY_TYPES["payment_terms"], terms)
            else:
                sets = {"Description": f"Updated {self.serial}", **values, "Modified": wall}
                self.conn.execute(f"UPDATE entry SET {', '.join(f'{c} = ?' for c in sets)} "  # noqa: S608
                                  "WHERE rid = ?", [*sets.values(), rid])
                refresh_entry_js(self.conn, snippets, rid)
                self.bump("tl", "entry_r", rid, division)
                changed += self.entry_items(stream, action, rid)
                changed += self.bump_terms(rid, division, wall)
            events.append(self.event(division, topic, action, key, path))
        return changed, events

    def bump_terms(self, entry: int, division: int, wall: int) -> list[dict[str, Any]]:
        """Give an updated entry's payment terms a fresh Timestamp and Modified.

        The terms carry the entry's fields (Description, dates, amounts in FC), and Exact
        rewrites an entry's terms when the entry is saved. Returns the changed items of every
        stream that shows them (payment_terms, and payments or receivables).
        """
        terms = self.conn.execute("SELECT rid, ID, kind FROM cashflow WHERE entry_r = ? "
                                  "ORDER BY rid", (entry,)).fetchall()
        first = self.next_ts(division, len(terms))
        self.conn.executemany("UPDATE cashflow SET Timestamp = ?, Modified = ? WHERE rid = ?",
                              [(first + i, wall, rid) for i, (rid, _, _) in enumerate(terms)])
        changed = []
        for i, (_, key, kind) in enumerate(terms):
            changed.append({"stream": "payment_terms", "action": "update", "ID": key,
                            "Timestamp": first + i})
            changed.append({"stream": "payments" if kind == "P" else "receivables",
                            "action": "update", "ID": key, "Timestamp": None})
        return changed

    def bump(self, table: str, parent_col: str, parent: int, division: int) -> None:
        """Give every row of a parent (entry, invoice, order) fresh Timestamps, in line order."""
        rids = [r for (r,) in self.conn.execute(
            f"SELECT rid FROM {table} WHERE {parent_col} = ? ORDER BY LineNumber", (parent,))]  # noqa: S608
        first = self.next_ts(division, len(rids))
        self.conn.executemany(f"UPDATE {table} SET Timestamp = ? WHERE rid = ?",  # noqa: S608
                              [(first + i, r) for i, r in enumerate(rids)])

    # -- sales invoices --------------------------------------------------------------------------
    def invoices(self, division: int, action: str, ids: list | None, count: int | None,
                 fields: dict) -> tuple[list, list]:
        """Create/update/delete sales invoices (header row and line rows together)."""
        values = self.columns_for("invoice", "sales_invoices", fields)
        path = "salesinvoice/SalesInvoices"
        changed, events = [], []

        def rows_of(inv: int, act: str) -> list[dict[str, Any]]:
            return [{"stream": "sales_invoices", "action": act, "ID": i,
                     "Timestamp": None if act == "delete" else ts}
                    for i, ts in self.conn.execute("SELECT ID, Timestamp FROM sinv WHERE "
                                                   "invoice_r = ? ORDER BY LineNumber", (inv,))]

        if action == "create":
            for _ in range(count or 1):
                entry = self.new_entry(division, SALES)
                inv, key = self.conn.execute("SELECT rid, InvoiceID FROM invoice WHERE "
                                             "entry_r = ?", (entry,)).fetchone()
                if values:
                    self.conn.execute(f"UPDATE invoice SET {', '.join(f'{c} = ?' for c in values)} "  # noqa: S608
                                      "WHERE rid = ?", [*values.values(), inv])
                changed += rows_of(inv, action)
                events.append(self.event(division, "SalesInvoices", action, key, path))
            return changed, events
        rows = self.pick("SELECT rid, InvoiceID FROM invoice WHERE division = ? AND {cond}",
                         (division,), ids, count,
                         "(InvoiceID = ? OR rid IN (SELECT invoice_r FROM sinv WHERE ID = ?))")
        _, wall = self.now()
        for inv, key in rows:
            if action == "delete":
                items = rows_of(inv, action)
                changed += items
                lines = [c["ID"] for c in items]
                self.conn.execute("DELETE FROM sinv WHERE invoice_r = ?", (inv,))
                self.conn.execute("DELETE FROM invoice WHERE rid = ?", (inv,))
                self.deleted(division, catalog.ENTITY_TYPES["sales_invoices"], lines)
            else:
                sets = {"Remarks": f"Updated {self.serial}", **values, "Modified": wall}
                self.conn.execute(f"UPDATE invoice SET {', '.join(f'{c} = ?' for c in sets)} "  # noqa: S608
                                  "WHERE rid = ?", [*sets.values(), inv])
                self.bump("sinv", "invoice_r", inv, division)
                changed += rows_of(inv, action)
            events.append(self.event(division, "SalesInvoices", action, key, path))
        return changed, events

    # -- purchase orders (sync rows are the order lines) -----------------------------------------
    def purchase_orders(self, division: int, action: str, ids: list | None, count: int | None,
                        fields: dict) -> tuple[list, list]:
        """Create/update/delete purchase orders (all their line rows together)."""
        values = self.columns_for("porder", "purchase_orders", fields)
        path = "purchaseorder/PurchaseOrders"
        changed, events = [], []
        _, wall = self.now()

        def rows_of(order: int, act: str) -> list[dict[str, Any]]:
            return [{"stream": "purchase_orders", "action": act, "ID": i,
                     "Timestamp": None if act == "delete" else ts}
                    for i, ts in self.conn.execute("SELECT ID, Timestamp FROM poline WHERE "
                                                   "order_r = ? ORDER BY LineNumber", (order,))]

        if action == "create":
            guid = Ids(self.rng(division))
            for _ in range(count or 1):
                last = self.conn.execute("SELECT * FROM porder WHERE division = ? ORDER BY rid "
                                         "DESC LIMIT 1", (division,)).fetchone()
                if last is None:
                    raise MutationError("no purchase orders to model a new one on")
                new = self.conn.execute("SELECT max(rid) FROM porder").fetchone()[0] + 1
                number = self.conn.execute("SELECT max(OrderNumber) FROM porder WHERE "
                                           "division = ?", (division,)).fetchone()[0] + 1
                row = [new, division, guid(), number, *last[4:13], wall, wall]
                marks = ", ".join("?" * len(row))
                self.conn.execute(f"INSERT INTO porder VALUES ({marks})", row)  # noqa: S608
                lines = self.conn.execute("SELECT * FROM poline WHERE order_r = ? ORDER BY "
                                          "LineNumber", (last[0],)).fetchall()
                first = self.next_ts(division, len(lines))
                top = self.conn.execute("SELECT max(rid) FROM poline").fetchone()[0]
                for i, line in enumerate(lines):
                    marks = ", ".join("?" * len(line))
                    self.conn.execute(f"INSERT INTO poline VALUES ({marks})",  # noqa: S608
                                      [top + i + 1, division, guid(), first + i, new,
                                       *line[5:]])
                if values:
                    self.conn.execute(f"UPDATE porder SET {', '.join(f'{c} = ?' for c in values)} "  # noqa: S608
                                      "WHERE rid = ?", [*values.values(), new])
                changed += rows_of(new, action)
                events.append(self.event(division, "PurchaseOrders", action, row[2], path))
            return changed, events
        rows = self.pick("SELECT rid, ID FROM porder WHERE division = ? AND {cond}",
                         (division,), ids, count,
                         "(ID = ? OR rid IN (SELECT order_r FROM poline WHERE ID = ?))")
        for order, key in rows:
            if action == "delete":
                items = rows_of(order, action)
                changed += items
                self.conn.execute("DELETE FROM poline WHERE order_r = ?", (order,))
                self.conn.execute("DELETE FROM porder WHERE rid = ?", (order,))
                self.deleted(division, catalog.ENTITY_TYPES["purchase_orders"],
                             [c["ID"] for c in items])
            else:
                sets = {"Description": f"Updated {self.serial}", **values, "Modified": wall}
                self.conn.execute(f"UPDATE porder SET {', '.join(f'{c} = ?' for c in sets)} "  # noqa: S608
                                  "WHERE rid = ?", [*sets.values(), order])
                self.bump("poline", "order_r", order, division)
                changed += rows_of(order, action)
            events.append(self.event(division, "PurchaseOrders", action, key, path))
        return changed, events

    # -- division move ---------------------------------------------------------------------------
    def move_division(self, division: int) -> list[dict[str, Any]]:
        """Simulate Exact moving the division to another database (fact sheet §5).

        ``DivisionMoveDate`` becomes now and every Timestamp of the division is regenerated
        *lower* (from 1,000,000 up, order kept), so a client that only follows ``Timestamp gt
        <bookmark>`` sees nothing new and must resync because of the DivisionMoveDate.
        """
        tables = self.store.sync_tables()
        low = min((self.conn.execute(f"SELECT min(Timestamp) FROM {t} WHERE division = ?",  # noqa: S608
                                     (division,)).fetchone()[0] or 2**62)
                  for t in tables)
        delta = max(0, low - 1_000_000)
        for table in tables:
            self.conn.execute(f"UPDATE {table} SET Timestamp = Timestamp - ? "  # noqa: S608
                              "WHERE division = ?", (delta, division))
        self.store.next_ts[division] -= delta
        self.store.ts_offset[division] += delta
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                          (f"ts_offset:{division}", str(self.store.ts_offset[division])))
        _, wall = self.now()
        self.conn.execute("UPDATE divs SET DivisionMoveDate = ?, Modified = ? WHERE Code = ?",
                          (wall, wall, division))
        return [{"stream": "divisions", "action": "update", "ID": str(division),
                 "Timestamp": None}]
