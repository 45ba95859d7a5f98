"""Journal entries, transaction lines, sales invoices, receivables and payments of a division.

Continues :class:`~exactonline_sandbox.generator.DivisionGenerator` (same seed stream).
Entry kinds and their lines (LineNumber 0 first; AmountDC positive = debit):

* sales (Type 20, journal 70): 0 = receivable on GL 1300 (+gross, customer); 1..n = revenue
  (-net per invoice line, VAT code, item, quantity); last = VAT payable on GL 1500 (-VAT).
  The sales invoice has the same lines: header AmountDC = gross = net + VAT.
* purchase (Type 30, journal 60): 0 = payable on GL 1600 (-gross, supplier); 1..n = expense
  (+net, cost center/unit); last = VAT receivable on GL 1520 (+VAT). A payment row follows.
* bank (Type 40, journal 20): 0 = bank GL 1100 (net movement); 1..n settle earlier receivables
  (-amount on 1300) and payments (+amount on 1600), or bank charges (GL 4950).
* general journal (Type 90, journal 90): lines 0..n-1 that sum to zero (accruals etc.).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, TypeVar

from exactonline_sandbox.generator import (
    DAY,
    EXPENSE_GL,
    T_END,
    T_START,
    VAT_WEIGHTS,
    DivisionGenerator,
    day_of,
    event_times,
    timestamp,
)

SALES, PURCHASE, BANK, GENERAL = 20, 30, 40, 90
T = TypeVar("T")
JOURNAL_OF = {SALES: 20, PURCHASE: 22, BANK: 12, GENERAL: 90}


@lru_cache(maxsize=4096)
def financial(date: int) -> tuple[int, int]:
    """(FinancialYear, FinancialPeriod) of a /Date()/ ms calendar date."""
    day = datetime.fromtimestamp(date / 1000, tz=timezone.utc)
    return day.year, day.month


class FastRandom:
    """The few ``random.Random`` methods the ledger uses, cheaper per call (same stream)."""

    def __init__(self, rng: random.Random) -> None:
        self.random = rng.random
        self.uniform = rng.uniform

    def choice(self, seq: Sequence[T]) -> T:
        """A uniformly chosen element."""
        return seq[int(self.random() * len(seq))]

    def randrange(self, low: int, high: int) -> int:
        """An integer in ``[low, high)``."""
        return low + int(self.random() * (high - low))

    def randint(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return low + int(self.random() * (high - low + 1))

    def choices(self, seq: Sequence[T], weights: Sequence[int]) -> list[T]:
        """One element chosen with integer ``weights`` (as a one-element list)."""
        pool = [item for item, weight in zip(seq, weights, strict=True) for _ in range(weight)]
        return [pool[int(self.random() * len(pool))]]


class LedgerGenerator:
    """Writes entries with exactly ``rows`` transaction lines."""

    def __init__(self, base: DivisionGenerator) -> None:
        self.g = base
        self.w = base.w
        self.rng = FastRandom(base.rng)
        self.vat_pool = [v for v, weight in zip(base.vat, VAT_WEIGHTS, strict=True)
                         for _ in range(weight)]
        self.open_receivables: deque[tuple[Any, int, int]] = deque()  # account, cents, cashflow
        self.open_payments: deque[tuple[Any, int, int]] = deque()
        self.counters = {SALES: 0, PURCHASE: 0, BANK: 0, GENERAL: 0}

    def run(self, rows: int | None = None, start: int = T_START, end: int = T_END,
            first_number: int = 0) -> None:
        """Write entries with exactly ``rows`` transaction lines (default: the division's).

        ``start``/``end`` (UTC ms) bound the entries' times; ``first_number`` offsets the entry
        number counters (for a division generated in parts).
        """
        rng = self.rng
        remaining = self.g.rows if rows is None else rows
        self.counters = dict.fromkeys(self.counters, first_number)
        # About 4 lines per entry: spread the entries evenly over the period.
        times = event_times("tl", start, end, max(1, remaining // 4), rng)
        utc = start
        while remaining > 0:
            utc = next(times, utc + 32)  # +32 keeps the table's ms slot
            roll = rng.random()
            if roll < 0.40:
                plan = self.sales_plan()
            elif roll < 0.65:
                plan = self.purchase_plan()
            elif roll < 0.85:
                plan = self.bank_plan()
            else:
                plan = self.general_plan(rng.randint(2, 4))
            if plan[1] is None or len(plan[1]) > remaining:
                plan = self.general_plan(remaining if remaining <= 6 else 2)
            kind, lines, extra = plan
            self.write_entry(utc, kind, lines, extra)
            remaining -= len(lines)

    # -- plans: (kind, lines, extra). A line: (gl code, account rid, cents, vat rid,
    #    cc rid, cu rid, item rid, quantity, description, is_vat, vat cents, vat base cents)
    def sales_plan(self) -> tuple:
        """A sales invoice entry: receivable, revenue lines, VAT line."""
        g, rng = self.g, self.rng
        customer = rng.choice(g.customers)
        invoice_lines = []
        lines: list[tuple[Any, ...]] = []
        total = vat_total = 0
        for _ in range(rng.randint(1, 4)):
            item, price, desc = rng.choice(g.items if rng.random() < 0.8 else g.hour_items)
            qty = rng.randint(1, 10)
            vat_rid = rng.choice(self.vat_pool)
            net = qty * price
            vat = round(net * g.vat_pct[vat_rid])
            total, vat_total = total + net, vat_total + vat
            cc = rng.choice(g.cc) if rng.random() < 0.5 else None
            cu = rng.choice(g.cu) if rng.random() < 0.3 else None
            gl = "8200" if desc.startswith("Consultancy") else "8000"
            invoice_lines.append((item, qty, price, net, vat, vat_rid, gl, cc, cu, desc))
            lines.append((gl, customer, -net, vat_rid, cc, cu, item, float(qty), desc, 0,
                          -vat, -net))
        gross = total + vat_total
        lines.insert(0, ("1300", customer, gross, None, None, None, None, None,
                         "Sales invoice", 0, 0, 0))
        if vat_total:
            lines.append(("1500", customer, -vat_total, None, None, None, None, None, "VAT",
                          1, 0, 0))
        return SALES, lines, {"account": customer, "gross": gross, "vat": vat_total,
                              "invoice_lines": invoice_lines}

    def purchase_plan(self) -> tuple:
        """A purchase invoice entry: payable, expense lines, VAT line."""
        g, rng = self.g, self.rng
        supplier = rng.choice(g.suppliers)
        lines: list[tuple[Any, ...]] = []
        total = vat_total = 0
        for _ in range(rng.randint(1, 3)):
            net = g.money(20, 4000)
            vat_rid = rng.choice(self.vat_pool)
            vat = round(net * g.vat_pct[vat_rid])
            total, vat_total = total + net, vat_total + vat
            gl = rng.choice(EXPENSE_GL)
            lines.append((gl, supplier, net, vat_rid, rng.choice(g.cc),
                          rng.choice(g.cu) if rng.random() < 0.5 else None, None, 1.0,
                          "Purchase " + gl, 0, vat, net))
        gross = total + vat_total
        lines.insert(0, ("1600", supplier, -gross, None, None, None, None, None,
                         "Purchase invoice", 0, 0, 0))
        if vat_total:
            lines.append(("1520", supplier, vat_total, None, None, None, None, None, "VAT",
                          1, 0, 0))
        return PURCHASE, lines, {"account": supplier, "gross": gross, "vat": vat_total}

    def bank_plan(self) -> tuple:
        """A bank statement entry settling earlier receivables and payments."""
        rng = self.rng
        lines: list[tuple[Any, ...]] = []
        settled = []
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.55 and self.open_receivables:
                account, cents, cashflow = self.open_receivables.popleft()
                lines.append(("1300", account, -cents, None, None, None, None, None,
                              "Payment received", 0, 0, 0))
                settled.append(cashflow)
            elif roll < 0.9 and self.open_payments:
                account, cents, cashflow = self.open_payments.popleft()
                lines.append(("1600", account, cents, None, None, None, None, None,
                              "Payment made", 0, 0, 0))
                settled.append(cashflow)
            else:
                lines.append(("4950", None, self.g.money(1, 25), None, None, None, None, None,
                              "Bank charges", 0, 0, 0))
        movement = -sum(line[2] for line in lines)
        lines.insert(0, ("1100", None, movement, None, None, None, None, None,
                         "Bank statement", 0, 0, 0))
        return BANK, lines, {"settled": settled}

    def general_plan(self, count: int) -> tuple:
        """A general journal entry of ``count`` lines summing to zero."""
        g, rng = self.g, self.rng
        gls = ["4000", "4100", "4800", "1800", "1900", "0210", "2000"]
        amounts = [g.money(10, 3000) * rng.choice([1, -1]) for _ in range(count - 1)]
        amounts.append(-sum(amounts))
        lines = [(rng.choice(gls), None, cents, None,
                  rng.choice(g.cc) if rng.random() < 0.3 else None, None, None, None,
                  "Memorial entry", 0, 0, 0) for cents in amounts]
        return GENERAL, lines, {}

    # -- writing ---------------------------------------------------------------------------------
    def write_entry(self, utc: int, kind: int, lines: list[tuple], extra: dict) -> None:
        """Write an entry, its lines, and its invoice / receivable / payment."""
        g, w, d, rng, guid = self.g, self.w, self.g.d, self.rng, self.g.guid
        created, modified = g.stamp(utc, 2)
        date = day_of(created) - rng.randint(0, 3) * DAY
        year, period = financial(date)
        self.counters[kind] += 1
        journal_code = {SALES: 70, PURCHASE: 60, BANK: 20, GENERAL: 90}[kind]
        number = (year % 100) * 1_000_000 + journal_code * 10_000 + self.counters[kind] % 10_000
        number = number if self.counters[kind] < 10_000 else number + self.counters[kind]
        rid = w.rid("entry")
        account = extra.get("account")
        gross = extra.get("gross", 0)
        invoice_number = number if kind in (SALES, PURCHASE) else None
        entry_id = guid()
        journal = g.journal[JOURNAL_OF[kind]]
        due = date + 30 * DAY if kind in (SALES, PURCHASE) else None
        your_ref = f"REF{rng.randint(10000, 99999)}" if kind == PURCHASE else None
        payment_ref = f"{number:016d}" if kind == SALES else None
        description = {SALES: "Sales invoice", PURCHASE: "Purchase invoice",
                       BANK: "Bank statement", GENERAL: "Memorial"}[kind] + f" {number}"
        entry_js = g.snips.entry_js(entry_id, number, date, due, year, period, journal,
                                    invoice_number, your_ref, payment_ref, 50, kind, created,
                                    modified)
        w.add("entry", (
            rid, d, entry_id, number, kind, journal, date, due, year, period, account,
            description, invoice_number, your_ref, payment_ref, gross / 100,
            extra.get("vat", 0) / 100, 50, guid() if kind == PURCHASE else None,
            created, modified, entry_js))
        add = w.buffers.setdefault("tl", [])
        line_js = g.snips.line_js
        gl_rids = g.gl
        base_ts = utc * 32
        for n, (gl, acc, cents, vat_rid, cc, cu, item, qty, desc, is_vat, vat_cents,
                base_cents) in enumerate(lines):
            line_id = guid()
            amount, vat, base = cents / 100, vat_cents / 100, base_cents / 100
            gl_rid = gl_rids[gl]
            add.append((w.rid("tl"), d, line_id, base_ts + n, rid, kind, n, gl_rid, acc,
                        amount, vat, base, vat_rid, cc, cu, None, item, qty, desc, is_vat,
                        line_js(line_id, n, amount, vat, base, qty, desc)))
        if len(add) >= 20_000:
            w.flush("tl")
        if kind == SALES:
            self.write_invoice(utc, rid, number, date, created, modified, extra)
        if kind in (SALES, PURCHASE):
            cash_rid = w.rid("cashflow")
            paid = rng.random() < 0.75
            w.add("cashflow", (cash_rid, d, guid(), "R" if kind == SALES else "P", account,
                               g.gl["1300" if kind == SALES else "1600"], rid, gross / 100,
                               50 if paid else 20, date + rng.randint(5, 40) * DAY if paid
                               else None, created, modified))
            if paid:
                queue = self.open_receivables if kind == SALES else self.open_payments
                queue.append((account, gross, cash_rid))

    def write_invoice(self, utc: int, entry_rid: int, number: int, date: int, created: int,
                      modified: int, extra: dict) -> None:
        """Write the sales invoice (header row + line rows) behind a sales entry."""
        g, w, d, guid = self.g, self.w, self.g.d, self.g.guid
        inv_utc = utc + 1  # sinv slot = tl slot + 1
        rid = w.rid("invoice")
        gross, vat = extra["gross"], extra["vat"]
        account = extra["account"]
        w.add("invoice", (rid, d, guid(), number, date, date + 30 * DAY, date - 7 * DAY, None,
                          account, g.journal[20], f"Invoice {number}", None, None, 50,
                          gross / 100, (gross - vat) / 100, vat / 100, entry_rid,
                          created + 1, modified + 1))
        w.add("sinv", (w.rid("sinv"), d, guid(), timestamp(inv_utc, 0), rid, 0, None, None,
                       None, gross / 100, vat / 100, None, g.gl["1300"], None, None,
                       f"Invoice {number}"))
        for n, (item, qty, price, net, vat_c, vat_rid, gl, cc, cu, desc) in enumerate(
                extra["invoice_lines"], start=1):
            w.add("sinv", (w.rid("sinv"), d, guid(), timestamp(inv_utc, n), rid, n, item,
                           float(qty), price / 100, net / 100, vat_c / 100, vat_rid, g.gl[gl],
                           cc, cu, desc))
