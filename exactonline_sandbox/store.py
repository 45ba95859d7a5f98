"""The sandbox's SQLite store: build once from the seed, then answer page queries.

One database file holds every division. Without ``db_path`` it is a temporary file removed by
:meth:`Store.close`; with ``db_path`` an existing file built with the same seed, divisions and
rows (recorded in table ``meta``) is reused as is, so restarts are instant. Its as-of date is
kept too: without an explicit ``as_of`` a reused file keeps the date it was built for (so an
administration does not change under a warehouse that loaded it); an explicit different
``as_of`` rebuilds it.

Queries return rows as ready JSON text (see :mod:`.render`). All access goes through one
connection guarded by a lock (the ASGI app calls in from the event loop; webhooks run elsewhere).
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from exactonline_sandbox import build, fastrows, generic, schema
from exactonline_sandbox.catalog import Endpoint
from exactonline_sandbox.odata import Comparison, Logical
from exactonline_sandbox.render import aliases, filter_sql, row_sql
from exactonline_sandbox.timeline import Span

SCHEMA_VERSION = "4"  # bump when the generated data or schema changes
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Page:
    """One page of rendered rows plus what paging needs.

    Attributes:
        rows: JSON text per row.
        last: Sort key of the last row (Timestamp for sync, the key otherwise), None if empty.
        more: Whether rows follow this page.
        count: Total matching rows when ``$inlinecount=allpages`` was asked, else None.
    """

    rows: list[str]
    last: object
    more: bool
    count: int | None = None


def _guid_equality(node: object) -> bool:
    """Whether a filter requires some field to equal a GUID (an ``and`` chain is enough)."""
    if isinstance(node, Comparison):
        return node.op == "eq" and node.literal.kind == "guid"
    if isinstance(node, Logical) and node.op == "and":
        return _guid_equality(node.left) or _guid_equality(node.right)
    return False


class Store:
    """SQLite-backed accounting data for every division of one sandbox."""

    def __init__(self, *, seed: int, divisions: list[int], rows: int, current: int,
                 user: str, username: str, db_path: str | None = None,
                 as_of: date | None = None, today: date | None = None) -> None:
        self.seed, self.divisions, self.rows = seed, divisions, rows
        self.current, self.user, self.username = current, user, username
        self.lock = threading.RLock()
        self._tempdir = None if db_path else tempfile.mkdtemp(prefix="exact-sandbox-")
        self.path = Path(db_path) if db_path else Path(self._tempdir or ".") / "sandbox.sqlite"
        self.conn = sqlite3.connect(str(self.path), check_same_thread=False,
                                    isolation_level=None)
        self.generic_ready: set[str] = set()  # generic tables known to exist (generic.ensure)
        build.pragmas(self.conn)
        stored = self._reusable()
        if stored is not None and as_of in (None, stored):
            self.as_of = stored
        else:
            self.as_of = as_of or today or date.today()
            self._build()
        self.next_ts: dict[int, int] = {}
        for division in divisions:
            top = 0
            for table in self.sync_tables():
                sql = f"SELECT max(Timestamp) FROM {table} WHERE division = ?"  # noqa: S608
                row = self.conn.execute(sql, (division,)).fetchone()
                top = max(top, row[0] or 0)
            self.next_ts[division] = top + 1
        # Per division: how far a simulated division move lowered every Timestamp.
        self.ts_offset: dict[int, int] = dict.fromkeys(divisions, 0)
        for key, value in self.conn.execute("SELECT key, value FROM meta WHERE key LIKE "
                                            "'ts_offset:%'"):
            self.ts_offset[int(key.split(":")[1])] = int(value)

    # -- build --------------------------------------------------------------------------------
    def _signature(self) -> str:
        return f"{SCHEMA_VERSION}:{self.seed}:{','.join(map(str, self.divisions))}:{self.rows}"

    def _reusable(self) -> date | None:
        """The as-of date of an existing database built with this signature, else None."""
        try:
            rows = dict(self.conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('signature', 'as_of')").fetchall())
        except sqlite3.Error:
            return None
        if rows.get("signature") != self._signature() or "as_of" not in rows:
            return None
        return date.fromisoformat(rows["as_of"])

    def _build(self) -> None:
        build.build(self.conn, self.path, self.seed, self.divisions, self.rows,
                    Span.ending(self.as_of))
        self.conn.execute("INSERT INTO meta VALUES ('signature', ?)", (self._signature(),))
        self.conn.execute("INSERT INTO meta VALUES ('as_of', ?)", (self.as_of.isoformat(),))

    def close(self) -> None:
        """Close the connection; remove the temporary database if this store made one."""
        with self.lock:
            self.conn.close()
        if self._tempdir:
            for name in os.listdir(self._tempdir):
                os.remove(os.path.join(self._tempdir, name))
            os.rmdir(self._tempdir)

    def sync_tables(self) -> list[str]:
        """Tables with a per-division ``Timestamp``: the ledger's and the generic sync ones."""
        return [*schema.SYNC_TABLES, *generic.generic_sync_tables(self.conn)]

    # -- reading ------------------------------------------------------------------------------
    def params(self, base: str, division: int) -> dict[str, object]:
        """Bound parameters every rendering statement uses."""
        return {"base": base, "div": division, "user": self.user, "username": self.username,
                "current": self.current}

    def _from_where(self, ep: Endpoint, division: int, node: object, extra: list[str],
                    params: list[object], select_sql: str) -> tuple[str, list[object]]:
        conds: list[str] = []
        args: list[object] = []
        if ep.division_scoped:
            conds.append("t.division = ?")
            args.append(division)
        else:
            conds.append(f"t.division IN ({','.join('?' * len(self.divisions))})")
            args.extend(self.divisions)
        if ep.where:
            conds.append(ep.where)
        if node is not None:
            conds.append(filter_sql(ep, node, args))
        conds.extend(extra)
        args.extend(params)
        where = " AND ".join(f"({c})" for c in conds)
        joins = ep.view.join_sql(aliases(select_sql, where))
        return f"FROM {ep.view.table} t {joins} WHERE {where}", args

    def order_exprs(self, ep: Endpoint, orderby: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
        """(SQL expression, descending) of the sort: $orderby fields, then the paging key."""
        if ep.family == "sync":
            return [("t.Timestamp", False)]
        out = []
        for name, desc in orderby:
            expr = ep.expression(name)
            # A constant (or unset) field does not change the order: SQLite would even read
            # an integer literal as a column number.
            if expr and "." in expr and not _NUMBER.match(expr):
                out.append((expr, desc))
        out.append((ep.expression(ep.key) or "t.rid", False))
        return out

    def page(self, ep: Endpoint, division: int, base: str, fields: tuple[str, ...], *,
             node: object = None, orderby: list[tuple[str, bool]] | None = None,
             skiptoken: object = None, limit: int | None = None,
             count: bool = False, skip: int | None = None) -> Page:
        """Render one page of ``ep`` for ``division``.

        ``limit`` None = every row (truth). ``skiptoken``: last Timestamp (sync) or key.
        ``skip``: rows to leave out first (``$skip``, after the skiptoken).
        """
        if ep.generated:
            generic.ensure(self, ep)
        order = self.order_exprs(ep, orderby or [])
        if fastrows.applies(ep, fields):
            select = fastrows.row_sql(ep, self.user, self.username)
        else:
            select = row_sql(ep, fields, self.user, self.username)
        named = self.params(base, division)
        with self.lock:
            extra: list[str] = []
            extra_args: list[object] = []
            if skiptoken is not None:
                extra.append(self._after(ep, division, order, skiptoken, extra_args))
            sort_sql = ", ".join(expr for expr, _ in order)
            frm, args = self._from_where(ep, division, node, extra, extra_args,
                                         select + " " + sort_sql)
            total = None
            if count:
                cfrm, cargs = self._from_where(ep, division, node, [], [], sort_sql)
                total = self.conn.execute(f"SELECT count(*) {cfrm}", cargs).fetchone()[0]
            # With a `Field eq guid'…'` filter (few rows) let SQLite pick the filter's index
            # and sort the result: `+expr` keeps it from walking the whole key index instead.
            plus = "+" if _guid_equality(node) else ""
            order_sql = ", ".join(f"{plus}{e} {'DESC' if d else 'ASC'}" for e, d in order)
            sql = f"SELECT {select}, {order[-1][0]} {frm} ORDER BY {order_sql}"
            if limit is not None or skip:
                sql += f" LIMIT {-1 if limit is None else int(limit) + 1}"
            if skip:
                sql += f" OFFSET {int(skip)}"
            cur = self.conn.execute(self._bind(sql, named), args)
            fetched = cur.fetchall()
        more = limit is not None and len(fetched) > limit
        if more:
            fetched = fetched[:limit]
        return Page([r[0] for r in fetched], fetched[-1][1] if fetched else None, more, total)

    def values(self, ep: Endpoint, division: int, exprs: list[str]) -> list[tuple]:
        """Raw stored values of ``exprs`` (view field expressions) for every row of ``ep``.

        Same rows and order as :meth:`page` without a filter; nothing is rendered (see
        :mod:`.canonical`).
        """
        order = self.order_exprs(ep, [])
        select = ", ".join([*exprs, order[-1][0]]) if exprs else order[-1][0]
        with self.lock:
            frm, args = self._from_where(ep, division, None, [], [], select)
            order_sql = ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d in order)
            sql = self._bind(f"SELECT {select} {frm} ORDER BY {order_sql}",
                             self.params("", division))
            return [row[:len(exprs)] for row in self.conn.execute(sql, args)]

    def _after(self, ep: Endpoint, division: int, order: list[tuple[str, bool]],
               token: object, args: list[object]) -> str:
        """SQL condition "after the row ``token``" in the sort ``order``."""
        key_expr = order[-1][0]
        if len(order) == 1:
            args.append(token)
            return f"{key_expr} > ?"
        frm, fargs = self._from_where(ep, division, None, [f"{key_expr} = ?"], [token],
                                      " ".join(e for e, _ in order))
        sql = self._bind(f"SELECT {', '.join(e for e, _ in order)} {frm} LIMIT 1",
                         self.params("", division))
        row = self.conn.execute(sql, fargs).fetchone()
        if row is None:
            args.append(token)
            return f"{key_expr} > ?"
        alternatives = []
        for i, (expr, desc) in enumerate(order):
            terms = [f"{order[j][0]} IS ?" for j in range(i)]
            args.extend(row[:i])
            terms.append(f"{expr} {'<' if desc else '>'} ?")
            args.append(row[i])
            alternatives.append("(" + " AND ".join(terms) + ")")
        return " OR ".join(alternatives)

    @staticmethod
    def _bind(sql: str, named: dict[str, object]) -> str:
        """Inline the named parameters as literals (sqlite3 cannot mix ? and :name)."""
        for name, value in sorted(named.items(), key=lambda kv: -len(kv[0])):
            literal = str(int(value)) if isinstance(value, int) else \
                "'" + str(value).replace("'", "''") + "'"
            sql = sql.replace(f":{name}", literal)
        return sql

    def count(self, ep: Endpoint, division: int, node: object = None) -> int:
        """Number of rows of ``ep`` matching ``node`` (``/$count``)."""
        if ep.generated:
            generic.ensure(self, ep)
        with self.lock:
            frm, args = self._from_where(ep, division, None if node is None else node, [], [], "")
            return int(self.conn.execute(f"SELECT count(*) {frm}", args).fetchone()[0])
