"""Exact's own reports, computed from the sandbox's ledger (so they agree with it exactly).

:func:`refresh` rebuilds, for one division, from the transaction lines (``tl``) and entries:

* the **status of every payment term** (``cashflow``: receivables, payments, sync
  PaymentTerms): paid (50, ``LastPaymentDate`` = date of the last settling bank entry) when the
  lines matched to it (``tl.match_r``: its own receivable/payable line and the bank lines that
  settle it) sum to zero, else open (20). A term whose status changes gets a new ``Modified``
  and ``Timestamp``, as Exact gives it;
* ``openitem`` -> ``read/financial/ReceivablesList`` and ``PayablesList``: one row per open
  term with the outstanding amount in the invoice's currency (``Amount``; receivables
  positive when the customer owes, payables positive when we owe; the sign Exact uses is not
  documented) and in euros;
* ``aging`` -> ``read/financial/AgingReceivablesList`` and ``AgingPayablesList``: per account,
  the open amounts by days past due on the as-of date: group 1 = not yet due or up to 30
  days, 2 = 31-60, 3 = 61-90, 4 = over 90;
* ``rbal`` -> ``financial/ReportingBalance``: per reporting year, period, GL account, cost
  center, cost unit, entry type and status: the sum of AmountDC (``Amount``), of the debit
  lines (``AmountDebit``), of the credit lines as a positive number (``AmountCredit``), and
  the number of lines (``Count``). A group keeps its row, so its ``ID``, while it exists: a
  change updates the groups it touches, adds the new ones and removes the emptied ones;
* ``obal`` -> ``openingbalance/CurrentYear/AfterEntry`` and ``PreviousYear/AfterEntry``: per
  balance-sheet GL account, the sum of all lines of earlier financial years; the earlier
  years' profit and loss is carried to the retained-earnings account (GLAccounts.Type 52);
  zero balances are left out, as Exact does. Summed from ``rbal`` (a few thousand rows)
  rather than the lines: every amount is whole cents, so the sum of the rounded groups rounds
  to the same cents as the sum of the lines.

"Current year" is the division's financial year holding the as-of date (``--as-of``).

The sums over a division's transaction lines read them ``INDEXED BY ix_tl_ts`` (division,
Timestamp): in Timestamp order the lines lie almost in rowid order, so the scan reads the table
nearly sequentially. Left to itself SQLite picks ``ix_tl_id`` (division, ID), whose random
GUID order reads the table page by page at random: 10 s instead of 3 s per report at 1,000,000
lines.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any

from exactonline_sandbox.generator import RETAINED_EARNINGS_TYPE
from exactonline_sandbox.timeline import DAY, day_ms, fiscal_period


def fiscal_start(conn: sqlite3.Connection, division: int) -> int:
    """The month a division's financial year starts in (1 = January)."""
    row = conn.execute("SELECT FiscalStartMonth FROM divs WHERE Code = ?", (division,)).fetchone()
    return int(row[0] or 1) if row else 1


def refresh(conn: sqlite3.Connection, division: int, as_of: date, *,
            modified: int | None = None, next_ts: Callable[[int], int] | None = None) -> None:
    """Recompute the derived report tables of ``division`` (inside the caller's transaction).

    ``modified`` (wall-clock ms) and ``next_ts`` (first of n fresh Timestamps) stamp payment
    terms whose status changes; without them (the initial build) statuses are set in place.
    """
    _terms(conn, division, modified, next_ts)
    conn.execute("DELETE FROM openitem WHERE division = ?", (division,))
    conn.execute(f"INSERT INTO openitem ({OPENITEM_COLUMNS}) {_OPEN_ITEMS} ORDER BY c.rid",
                 (division,))
    _aging(conn, division, as_of)
    _reporting_balance(conn, division)
    _opening_balances(conn, division, as_of)


def _reporting_balance(conn: sqlite3.Connection, division: int) -> None:
    """Bring ``rbal`` of ``division`` up to date in place, keeping the ``ID`` of every group.

    Exact's ReportingBalance rows are per-group totals with an Int64 ``ID``; deleting and
    re-inserting them all would give every group a new ID on each change (one new entry
    replaced all 472 IDs of a division), so a reader keyed on ``ID`` would see every row
    deleted and created. A division has a few thousand groups: they are compared in Python.
    """
    width = len(_RBAL_KEY.split(","))
    stored = {tuple(row[1:1 + width]): (row[0], tuple(row[1 + width:])) for row in conn.execute(
        f"SELECT rid, {_RBAL_KEY}, Amount, AmountDebit, AmountCredit, Count "  # noqa: S608
        "FROM rbal WHERE division = ?", (division,))}
    rbal = _RBAL.format(lines="tl t INDEXED BY ix_tl_ts")
    fresh = conn.execute(f"{rbal} ORDER BY {_RBAL_KEY}", (division,)).fetchall()
    updates, inserts = [], []
    for row in fresh:
        key, sums = tuple(row[1:1 + width]), tuple(row[1 + width:])
        rid, old = stored.pop(key, (None, None))
        if rid is None:
            inserts.append(row)
        elif old != sums:
            updates.append((*sums, rid))
    conn.executemany("UPDATE rbal SET Amount = ?, AmountDebit = ?, AmountCredit = ?, Count = ? "
                     "WHERE rid = ?", updates)
    conn.executemany("DELETE FROM rbal WHERE rid = ?", [(rid,) for rid, _ in stored.values()])
    conn.executemany(f"INSERT INTO rbal ({RBAL_COLUMNS}) "  # noqa: S608 - constants
                     f"VALUES ({', '.join('?' * len(RBAL_COLUMNS.split(',')))})", inserts)


# -- the initial build: each ledger part sums its own lines, in its worker --------------------
# A part's terms are settled only by its own bank lines (each part has its own queue of open
# items, :mod:`.ledger`), so a part sets its terms' status and finds its open items alone; the
# ReportingBalance groups of the period a part boundary cuts are summed from both parts.

class PartSums:
    """A ledger part's sums for the reports, added up by the generator line by line.

    The same sums as :func:`refresh`'s queries (``_terms``, ``_OPEN_ITEMS``, ``_RBAL``), kept
    in whole cents while the part's lines are generated instead of read back from SQLite
    three times (about 1.4 CPU-s per 500,000 lines, against some 0.3 here). Every amount is
    whole cents, so a rounded sum of the lines' amounts is the sum in cents over 100.

    Attributes:
        rbal: ReportingBalance group (FinancialYear, FinancialPeriod, gl_r, cc_r, cu_r, entry
            Type) -> [sum, debit sum, credit sum (positive), count] in cents (every entry of
            the build has Status 50).
        terms: payment term (cashflow rid) -> [kind R/P, account_r, entry_r, the entry's
            currency, sum of AmountDC, sum of AmountFC (cents), Date of the last settling entry].
    """

    STATUS = 50  # of every entry the build writes

    def __init__(self) -> None:
        self.rbal: dict[tuple[Any, ...], list[int]] = {}
        self.terms: dict[int, list[Any]] = {}

    def entry(self, rid: int, date: int, year: int, period: int, entry_type: int,
              cash: int | None, lines: list[tuple], gl_rids: dict[str, int]) -> None:
        """Add the lines of entry ``rid`` (planned lines, :func:`.ledger.line`).

        ``cash`` is the payment term the entry opens (its line 0 is matched to it), if any;
        its other matched lines settle earlier terms. A term of another part (a mutation
        settling a term of the build) is left to :func:`refresh`.
        """
        rbal, terms = self.rbal, self.terms
        for n, planned in enumerate(lines):
            cents = planned[2]
            key = (year, period, gl_rids[planned[0]], planned[4], planned[5], entry_type)
            group = rbal.get(key)
            if group is None:
                group = rbal[key] = [0, 0, 0, 0]
            group[0] += cents
            if cents > 0:
                group[1] += cents
            else:
                group[2] -= cents
            group[3] += 1
            match = cash if n == 0 and cash is not None else planned[13]
            if match is not None and (term := terms.get(match)) is not None:
                term[4] += cents
                term[5] += planned[12]
                if term[2] != rid and (term[6] is None or date > term[6]):
                    term[6] = date

    def write(self, conn: sqlite3.Connection, division: int) -> None:
        """Set the part's payment terms' status, stage its open items and its sums.

        Open items go to ``openitem_part``, ReportingBalance sums to ``rbal_part``, for
        :func:`from_parts`. Inside the part's transaction, once its rows are written.
        """
        paid, open_items = [], []
        for rid, (kind, account, entry, currency, dc, fc, last) in self.terms.items():
            if dc == 0:  # written as open (20, no PaidDate)
                paid.append((50, last, rid))
            else:
                sign = 1 if kind == "R" else -1
                open_items.append((division, kind, rid, account, entry, sign * fc / 100,
                                   sign * dc / 100, currency))
        conn.executemany("UPDATE cashflow SET Status = ?, PaidDate = ? WHERE rid = ?", paid)
        conn.execute(f"CREATE TABLE IF NOT EXISTS openitem_part ({OPENITEM_COLUMNS})")
        conn.executemany(f"INSERT INTO openitem_part ({OPENITEM_COLUMNS}) "  # noqa: S608
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", open_items)
        conn.execute(f"CREATE TABLE IF NOT EXISTS rbal_part ({RBAL_COLUMNS})")
        conn.executemany(
            f"INSERT INTO rbal_part ({RBAL_COLUMNS}) "  # noqa: S608 - constants
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(division, *key, self.STATUS, total / 100, debit / 100, credit / 100, count)
             for key, (total, debit, credit, count) in self.rbal.items()])


def copy_part_sums(conn: sqlite3.Connection, schema_name: str) -> None:
    """Append the staged sums of the attached part database ``schema_name`` to the main's."""
    for table in STAGING:
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM {schema_name}.{table}")  # noqa: S608


def from_parts(conn: sqlite3.Connection, division: int, as_of: date) -> None:
    """The report tables of ``division`` from its parts' staged sums (the initial build).

    The same rows as :func:`refresh`: every line's amount is whole cents, so rounding the sum
    of the parts' sums gives the same cents as rounding the sum of the lines.
    """
    conn.execute(f"INSERT INTO openitem ({OPENITEM_COLUMNS}) "  # noqa: S608 - constants
                 f"SELECT {OPENITEM_COLUMNS} FROM openitem_part WHERE division = ? "
                 "ORDER BY cash_r", (division,))
    _aging(conn, division, as_of)
    conn.execute(f"""
        INSERT INTO rbal ({RBAL_COLUMNS})
        SELECT division, {_RBAL_KEY}, round(sum(Amount), 2), round(sum(AmountDebit), 2),
               round(sum(AmountCredit), 2), sum(Count)
        FROM rbal_part WHERE division = ?
        GROUP BY {_RBAL_KEY} ORDER BY {_RBAL_KEY}""", (division,))  # noqa: S608
    _opening_balances(conn, division, as_of)


def drop_part_sums(conn: sqlite3.Connection) -> None:
    """Remove the staging tables once every division's reports are built."""
    for table in STAGING:
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def _terms(conn: sqlite3.Connection, division: int, modified: int | None,
           next_ts: Callable[[int], int] | None) -> None:
    rows = conn.execute("""
        SELECT c.rid, c.Status, c.PaidDate,
               CASE WHEN round(sum(t.AmountDC), 2) = 0 THEN 50 ELSE 20 END,
               max(CASE WHEN t.entry_r <> c.entry_r THEN e.Date END)
        FROM cashflow c
        JOIN tl t ON t.match_r = c.rid
        JOIN entry e ON e.rid = t.entry_r
        WHERE c.division = ?
        GROUP BY c.rid""", (division,)).fetchall()
    changed = []
    for rid, status, paid, new_status, last_payment in rows:
        new_paid = last_payment if new_status == 50 else None
        if (status, paid) != (new_status, new_paid):
            changed.append((new_status, new_paid, rid))
    if not changed:
        return
    if modified is None or next_ts is None:
        conn.executemany("UPDATE cashflow SET Status = ?, PaidDate = ? WHERE rid = ?", changed)
        return
    first = next_ts(len(changed))
    conn.executemany(
        "UPDATE cashflow SET Status = ?, PaidDate = ?, Modified = ?, Timestamp = ? WHERE rid = ?",
        [(st, paid, modified, first + i, rid) for i, (st, paid, rid) in enumerate(changed)])


OPENITEM_COLUMNS = "division, kind, cash_r, account_r, entry_r, Amount, AmountDC, Currency"
#: One row per open payment term of a division (``?``), in openitem's column order.
_OPEN_ITEMS = """
        SELECT c.division, c.kind, c.rid, c.account_r, c.entry_r,
               round(CASE c.kind WHEN 'R' THEN 1 ELSE -1 END * sum(t.AmountFC), 2),
               round(CASE c.kind WHEN 'R' THEN 1 ELSE -1 END * sum(t.AmountDC), 2),
               coalesce(e.Currency, 'EUR')
        FROM cashflow c
        JOIN tl t ON t.match_r = c.rid
        LEFT JOIN entry e ON e.rid = c.entry_r
        WHERE c.division = ?
        GROUP BY c.rid
        HAVING round(sum(t.AmountDC), 2) <> 0"""


def _aging(conn: sqlite3.Connection, division: int, as_of: date) -> None:
    conn.execute("DELETE FROM aging WHERE division = ?", (division,))
    cut = day_ms(as_of)
    buckets = ", ".join(
        f"round(sum(CASE WHEN {cond} THEN o.Amount ELSE 0 END), 2)"
        for cond in (f"e.DueDate IS NULL OR e.DueDate >= {cut} - 30 * {DAY}",
                     f"e.DueDate < {cut} - 30 * {DAY} AND e.DueDate >= {cut} - 60 * {DAY}",
                     f"e.DueDate < {cut} - 60 * {DAY} AND e.DueDate >= {cut} - 90 * {DAY}",
                     f"e.DueDate < {cut} - 90 * {DAY}"))
    conn.execute(f"""
        INSERT INTO aging (division, kind, account_r, Currency, Group1, Group2, Group3, Group4,
                           Total)
        SELECT o.division, o.kind, o.account_r, max(o.Currency), {buckets},
               round(sum(o.Amount), 2)
        FROM openitem o LEFT JOIN entry e ON e.rid = o.entry_r
        WHERE o.division = ?
        GROUP BY o.kind, o.account_r
        ORDER BY o.kind, o.account_r""", (division,))  # noqa: S608 - numbers only


RBAL_COLUMNS = ("division, ReportingYear, ReportingPeriod, gl_r, cc_r, cu_r, Type, Status, "
                "Amount, AmountDebit, AmountCredit, Count")
_RBAL_KEY = "ReportingYear, ReportingPeriod, gl_r, cc_r, cu_r, Type, Status"
#: ReportingBalance groups of a division (``?``) in rbal's column order; ``{lines}`` is how
#: the lines are read (with or without the Timestamp index).
_RBAL = """
        SELECT t.division, e.FinancialYear AS ReportingYear, e.FinancialPeriod AS ReportingPeriod,
               t.gl_r, t.cc_r, t.cu_r, e.Type, e.Status, round(sum(t.AmountDC), 2),
               round(sum(CASE WHEN t.AmountDC > 0 THEN t.AmountDC ELSE 0 END), 2),
               round(sum(CASE WHEN t.AmountDC < 0 THEN -t.AmountDC ELSE 0 END), 2), count(*)
        FROM {lines} JOIN entry e ON e.rid = t.entry_r
        WHERE t.division = ?
        GROUP BY e.FinancialYear, e.FinancialPeriod, t.gl_r, t.cc_r, t.cu_r, e.Type, e.Status"""
STAGING = ("openitem_part", "rbal_part")


def _opening_balances(conn: sqlite3.Connection, division: int, as_of: date) -> None:
    conn.execute("DELETE FROM obal WHERE division = ?", (division,))
    current, _ = fiscal_period(day_ms(as_of), fiscal_start(conn, division))
    row = conn.execute("SELECT rid FROM glacc WHERE division = ? AND Type = ? ORDER BY Code "
                       "LIMIT 1", (division, RETAINED_EARNINGS_TYPE)).fetchone()
    retained = row[0] if row else None
    for which, year in (("C", current), ("P", current - 1)):
        conn.execute("""
            INSERT INTO obal (division, which, ReportingYear, gl_r, Amount)
            SELECT ?, ?, ?, gl, round(sum(amount), 2)
            FROM (SELECT CASE WHEN g.BalanceType = 'B' THEN r.gl_r ELSE ? END AS gl,
                         r.Amount AS amount
                  FROM rbal r
                  JOIN glacc g ON g.rid = r.gl_r
                  WHERE r.division = ? AND r.ReportingYear < ?)
            WHERE gl IS NOT NULL
            GROUP BY gl
            HAVING round(sum(amount), 2) <> 0
            ORDER BY gl""", (division, which, year, retained, division, year))
