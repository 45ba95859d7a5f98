"""Pre-rendered JSON for sync/Financial/TransactionLines, the sandbox's biggest table.

Rendering 74 fields per row in SQLite costs about 25 µs a row (string functions, number to
text), too slow for 1000-row pages at 50,000 rows/s. So transaction lines and journal entries
store their own fields as ready JSON text (``tl.js``, ``entry.js``), written once by the
generator (Python string formatting with per-dimension snippets: GL account, account, cost
center, cost unit, VAT code, item, project) and re-rendered by the mutator when an entry
changes. A full-row page then costs a handful of string concatenations per row.

The values are exactly those of the generic renderer (:mod:`.render`); the order of fields
inside a row differs (grouped by source), which JSON does not care about.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import orjson

from exactonline_sandbox.catalog import Endpoint
from exactonline_sandbox.render import balanced, constant_json, key_literal_sql, sql_literal

SYNC_TL = "sync/Financial/TransactionLines"

# Fields rendered per transaction line by :func:`line_js` (plus the dimension snippets).
LINE_FIELDS = ("ID", "LineNumber", "AmountDC", "AmountFC", "AmountVATBaseFC", "AmountVATFC",
               "Quantity", "Description", "InvoiceNumber", "Currency", "ExchangeRate")
SNIPPET_FIELDS = {
    "gl": ("GLAccount", "GLAccountCode", "GLAccountDescription"),
    "account": ("Account", "AccountCode", "AccountName"),
    "cc": ("CostCenter", "CostCenterDescription"),
    "cu": ("CostUnit", "CostUnitDescription"),
    "vat": ("VATCode", "VATCodeDescription", "VATPercentage"),
    "item": ("Item", "ItemCode", "ItemDescription"),
    "project": ("Project", "ProjectCode", "ProjectDescription"),
}
ENTRY_FIELDS = ("EntryID", "EntryNumber", "Date", "DueDate", "FinancialYear", "FinancialPeriod",
                "JournalCode", "JournalDescription",
                "YourRef", "PaymentReference", "Status", "Type", "Created", "Modified")
SQL_FIELDS = ("Timestamp", "Division")


def js(value: object) -> str:
    """JSON text of a raw value (str, int, float, None)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    return repr(value)


def date_js(ms: int | None) -> str:
    """JSON text of a stored DateTime (wall-clock ms)."""
    return "null" if ms is None else f'"/Date({ms})/"'


def _snippet(names: tuple[str, ...], values: tuple | None) -> str:
    if values is None:
        return "".join(f',"{n}":null' for n in names)
    return "".join(f',"{n}":{js(v)}' for n, v in zip(names, values, strict=True))


# dimension table, join alias in the TL view, snippet key, SQL of the snippet's raw values
DIMENSIONS = (
    ("glacc", "g", "gl", "ID, Code, Description"),
    ("account", "a", "account", "ID, Code, Name"),
    ("costcenter", "cc", "cc", "Code, Description"),
    ("costunit", "cu", "cu", "Code, Description"),
    ("vatcode", "v", "vat", "Code, Description, Percentage"),
    ("item", "it", "item", "ID, Code, Description"),
    ("project", "p", "project", "ID, Code, Description"),
)


def refresh_snippets(conn: sqlite3.Connection, division: int) -> None:
    """(Re)write ``tlsnip`` of every dimension row of a division (small tables)."""
    for table, _alias, key, cols in DIMENSIONS:
        rows = conn.execute(f"SELECT rid, {cols} FROM {table} WHERE division = ?",  # noqa: S608
                            (division,)).fetchall()
        conn.executemany(f"UPDATE {table} SET tlsnip = ? WHERE rid = ?",  # noqa: S608
                         [(_snippet(SNIPPET_FIELDS[key], tuple(values)), rid)
                          for rid, *values in rows])


class Snippets:
    """Per-division rendering context: journal codes for ``entry.js``; line rendering."""

    def __init__(self, conn: sqlite3.Connection, division: int) -> None:
        self.journal: dict[int, tuple[str | None, str | None]] = {
            rid: (code, desc) for rid, code, desc in conn.execute(
            "SELECT rid, Code, Description FROM journal WHERE division = ?", (division,))}

    @staticmethod
    def line_js(guid: str, line: int, amount: float, amount_fc: float, vat: float,
                base_fc: float, qty: float | None, desc: str | None, invoice: int | None,
                currency: str, rate: float) -> str:
        """``tl.js`` of one transaction line (its own fields, starting with ``"ID":``).

        ``InvoiceNumber`` is the line's own: the entry's invoice, or on a bank line the
        invoice it settles (Exact's "OurRef").
        """
        quantity = "null" if qty is None else repr(qty)
        text = "null" if desc is None else orjson.dumps(desc).decode()
        return (f'"ID":"{guid}","LineNumber":{line},"AmountDC":{amount!r},'
                f'"AmountFC":{amount_fc!r},"AmountVATBaseFC":{base_fc!r},"AmountVATFC":{vat!r},'
                f'"Quantity":{quantity},"Description":{text},"InvoiceNumber":{js(invoice)},'
                f'"Currency":{js(currency)},"ExchangeRate":{rate!r}')

    def entry_js(self, entry_id: str, number: int, date: int, due: int | None, year: int,
                 period: int, journal: int | None, your_ref: str | None,
                 payment_ref: str | None, status: int, kind: int, created: int,
                 modified: int) -> str:
        """``entry.js`` of one entry (starts with ``"EntryID":``)."""
        code, desc = self.journal.get(journal, (None, None)) if journal else (None, None)
        return (f'"EntryID":"{entry_id}","EntryNumber":{number},"Date":{date_js(date)},'
                f'"DueDate":{date_js(due)},"FinancialYear":{year},"FinancialPeriod":{period},'
                f'"JournalCode":{js(code)},"JournalDescription":{js(desc)},'
                f'"YourRef":{js(your_ref)},'
                f'"PaymentReference":{js(payment_ref)},"Status":{status},"Type":{kind},'
                f'"Created":{date_js(created)},"Modified":{date_js(modified)}')


def refresh_entry_js(conn: sqlite3.Connection, snippets: Snippets, rid: int) -> None:
    """Re-render ``entry.js`` after the entry row changed."""
    row = conn.execute("SELECT EntryID, EntryNumber, Date, DueDate, FinancialYear, "
                       "FinancialPeriod, journal_r, YourRef, PaymentReference, "
                       "Status, Type, Created, Modified FROM entry WHERE rid = ?",
                       (rid,)).fetchone()
    conn.execute("UPDATE entry SET js = ? WHERE rid = ?", (snippets.entry_js(*row), rid))


def applies(ep: Endpoint, fields: tuple[str, ...]) -> bool:
    """Whether a request for ``fields`` of ``ep`` can use the pre-rendered rows."""
    return ep.path == SYNC_TL and len(fields) == len(ep.fields) and set(fields) == set(ep.fields)


@lru_cache(maxsize=8)
def row_sql(ep: Endpoint, user: str, username: str) -> str:
    """SQL for a full transaction-line row from ``tl.js`` and ``entry.js``."""
    consts = {":user": user, ":username": username}
    covered = set(LINE_FIELDS) | set(ENTRY_FIELDS) | set(SQL_FIELDS)
    for names in SNIPPET_FIELDS.values():
        covered |= set(names)
    rest = ""
    for name, edm in ep.fields.items():
        if name in covered:
            continue
        value = constant_json(edm, ep.expression(name), consts)
        if value is None:
            raise ValueError(f"{name} of {ep.path} is neither pre-rendered nor constant")
        rest += f',"{name}":{value}'
    terms = [_head_sql(ep)]
    terms += ["t.Timestamp", "',\"Division\":'", "t.division", "','", "t.js"]
    for _table, alias, key, _cols in DIMENSIONS:
        terms.append(f"ifnull({alias}.tlsnip, {sql_literal(_snippet(SNIPPET_FIELDS[key], None))})")
    terms += ["','", "e.js", sql_literal(rest + "}")]
    return balanced(terms)


def _head_sql(ep: Endpoint) -> str:
    """SQL of ``{"__metadata":{…},"Timestamp":`` for a row."""
    return ("'{\"__metadata\":{\"uri\":\"' || :base || '/api/v1/' || :div || "
            f"'/{ep.path}(' || {key_literal_sql(ep)} || "
            f"')\",\"type\":\"{ep.type_name}\"}},\"Timestamp\":'")
