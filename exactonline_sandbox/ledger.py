"""Journal entries, transaction lines, sales invoices, receivables and payments of a division.

Continues :class:`~exactonline_sandbox.generator.DivisionGenerator` (same seed stream).
Entry kinds and their lines (LineNumber 0 first; AmountDC positive = debit):

* sales (Type 20, journal 70): 0 = receivable on GL 1300 (+gross, customer); 1..n = revenue
  (-net per invoice line, VAT code, item, quantity); last = VAT payable on GL 1500 (-VAT).
  The sales invoice has the same lines: header AmountDC = gross = net + VAT.
* purchase (Type 30, journal 60): 0 = payable on GL 1600 (-gross, supplier); 1..n = expense
  (+net, cost center/unit); last = VAT receivable on GL 1520 (+VAT). A payment row follows.
  Suppliers abroad invoice in USD or GBP (reverse-charge VAT, no VAT line): every line has its
  amount in that currency (``AmountFC``) and in euros at the month's exchange rate
  (``AmountDC``, financial/ExchangeRates); line 0 takes the rounding so the entry balances.
* bank (Type 40, journal 20): 0 = bank GL 1100 (net movement); 1..n settle earlier receivables
  (-amount on 1300) and payments (+amount on 1600), withdraw cash (GL 1000), or bank charges
  (GL 4950).
* cash (Type 40, journal 10): 0 = cash GL 1000 (-total); 1..n small expenses paid in cash.
* general journal (Type 90, journal 90): lines 0..n-1 that sum to zero (accruals etc.).

Matching: the receivable/payable line 0 of a sales/purchase entry and every bank line that
settles it carry the same ``match_r`` (the payment term in ``cashflow``) and the invoice's
``InvoiceNumber``, so the open items (Exact's ReceivablesList/PayablesList) and the status of
each receivable or payment follow from the transaction lines alone (:mod:`.reports`).
Dates: an entry is dated on or up to 3 days before the day it was entered, never before the
first day of the data; FinancialYear/FinancialPeriod follow the division's fiscal calendar.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from exactonline_sandbox.generator import (
    DAY,
    EXPENSE_GL,
    VAT_WEIGHTS,
    DivisionGenerator,
    day_of,
    event_times,
    timestamp,
)
from exactonline_sandbox.reports import PartSums
from exactonline_sandbox.timeline import fiscal_period

SALES, PURCHASE, BANK, GENERAL = 20, 30, 40, 90
CASH = 41  # internal kind: Exact's Type is 40 (cash flow) for bank and cash entries alike
T = TypeVar("T")
JOURNAL_OF = {SALES: 20, PURCHASE: 22, BANK: 12, CASH: 10, GENERAL: 90}
ENTRY_TYPE = {SALES: 20, PURCHASE: 30, BANK: 40, CASH: 40, GENERAL: 90}
JOURNAL_CODE = {SALES: 70, PURCHASE: 60, BANK: 20, CASH: 10, GENERAL: 90}
DESCRIPTION = {SALES: "Sales invoice", PURCHASE: "Purchase invoice", BANK: "Bank statement",
               CASH: "Cash book", GENERAL: "Memorial"}
#: Offset of a payment term's Timestamp from its entry's lines (they use 0..n, n < 31).
CASHFLOW_TS = 31
#: VAT code of purchases from abroad (reverse charge, 0 %; generator.VATS).
REVERSE_CHARGE = 3


def month_of(utc: int) -> tuple[int, int]:
    """(year, month) of a UTC-ms moment."""
    day = datetime.fromtimestamp(utc / 1000, tz=timezone.utc)
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


def line(gl: str, account: Any, cents: int, *, vat: Any = None, cc: Any = None, cu: Any = None,
         item: Any = None, qty: float | None = None, desc: str = "", is_vat: int = 0,
         vat_cents: int = 0, base_cents: int = 0, fc: int | None = None, match: Any = None,
         invoice: int | None = None, currency: str = "EUR", rate: float = 1.0) -> tuple:
    """One planned transaction line (amounts in cents; ``fc`` defaults to ``cents``)."""
    return (gl, account, cents, vat, cc, cu, item, qty, desc, is_vat, vat_cents, base_cents,
            cents if fc is None else fc, match, invoice, currency, rate)


class LedgerGenerator:
    """Writes entries with exactly ``rows`` transaction lines."""

    def __init__(self, base: DivisionGenerator) -> None:
        self.g = base
        self.w = base.w
        self.rng = FastRandom(base.rng)
        self.vat_pool = [v for v, weight in zip(base.vat, VAT_WEIGHTS, strict=True)
                         for _ in range(weight)]
        # open items a later bank entry settles: account, DC cents, cashflow rid, invoice
        # number, FC cents, currency, rate
        self.open_receivables: deque[tuple[Any, ...]] = deque()
        self.open_payments: deque[tuple[Any, ...]] = deque()
        self.counters = dict.fromkeys((SALES, PURCHASE, BANK, CASH, GENERAL), 0)
        self.currency_of = getattr(base, "supplier_currency", {})
        #: (FinancialYear, FinancialPeriod) by entry date (a few hundred days, many entries).
        self.periods: dict[int, tuple[int, int]] = {}
        #: What the reports need of the written lines (:meth:`reports.PartSums.write`).
        self.sums = PartSums()

    def rate(self, currency: str, utc: int) -> float:
        """EUR per unit of ``currency`` in the month of ``utc`` (else the latest known rate)."""
        year, month = month_of(utc)
        rates = self.g.rates
        found = rates.get((currency, year, month))
        if found is not None:
            return found
        known = sorted(k for k in rates if k[0] == currency)
        return rates[known[-1]] if known else 1.0

    def run(self, rows: int | None = None, start: int | None = None, end: int | None = None,
            first_number: int = 0) -> None:
        """Write entries with exactly ``rows`` transaction lines (default: the division's).

        ``start``/``end`` (UTC ms, default the division's span) bound the entries' times;
        ``first_number`` offsets the entry number counters (for a division generated in parts).
        """
        rng = self.rng
        start = self.g.span.start if start is None else start
        end = self.g.span.end if end is None else end
        remaining = self.g.rows if rows is None else rows
        self.counters = dict.fromkeys(self.counters, first_number)
        # About 4 lines per entry: spread the entries evenly over the period.
        times = event_times("tl", start, end, max(1, remaining // 4), rng)
        utc = start
        while remaining > 0:
            utc = next(times, utc + 32)  # +32 keeps the table's ms slot
            roll = rng.random()
            if roll < 0.37:
                plan = self.sales_plan()
            elif roll < 0.60:
                plan = self.purchase_plan(utc)
            elif roll < 0.81:
                plan = self.bank_plan()
            elif roll < 0.86:
                plan = self.cash_plan()
            else:
                plan = self.general_plan(rng.randint(2, 4))
            if plan[1] is None or len(plan[1]) > remaining:
                plan = self.general_plan(remaining if remaining <= 6 else 2)
            kind, lines, extra = plan
            self.write_entry(utc, kind, lines, extra)
            remaining -= len(lines)

    # -- plans: (kind, lines, extra); a line is what :func:`line` returns --------------------
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
            lines.append(line(gl, customer, -net, vat=vat_rid, cc=cc, cu=cu, item=item,
                              qty=float(qty), desc=desc, vat_cents=-vat, base_cents=-net))
        gross = total + vat_total
        lines.insert(0, line("1300", customer, gross, desc="Sales invoice"))
        if vat_total:
            lines.append(line("1500", customer, -vat_total, desc="VAT", is_vat=1))
        return SALES, lines, {"account": customer, "gross": gross, "vat": vat_total,
                              "invoice_lines": invoice_lines}

    def purchase_plan(self, utc: int) -> tuple:
        """A purchase invoice entry: payable, expense lines, VAT line (none from abroad)."""
        g, rng = self.g, self.rng
        supplier = rng.choice(g.suppliers)
        currency = self.currency_of.get(supplier) or "EUR"
        rate = 1.0 if currency == "EUR" else self.rate(currency, utc)
        lines: list[tuple[Any, ...]] = []
        total = vat_total = total_fc = 0
        for _ in range(rng.randint(1, 3)):
            fc = g.money(20, 4000)
            vat_rid = rng.choice(self.vat_pool) if currency == "EUR" else g.vat[REVERSE_CHARGE]
            net = fc if currency == "EUR" else round(fc * rate)
            vat = round(net * g.vat_pct[vat_rid])
            total, vat_total, total_fc = total + net, vat_total + vat, total_fc + fc
            gl = rng.choice(EXPENSE_GL)
            lines.append(line(gl, supplier, net, vat=vat_rid, cc=rng.choice(g.cc),
                              cu=rng.choice(g.cu) if rng.random() < 0.5 else None, qty=1.0,
                              desc="Purchase " + gl, vat_cents=vat, base_cents=net, fc=fc,
                              currency=currency, rate=rate))
        gross = total + vat_total
        gross_fc = total_fc + vat_total  # VAT only on euro invoices
        lines.insert(0, line("1600", supplier, -gross, desc="Purchase invoice", fc=-gross_fc,
                             currency=currency, rate=rate))
        if vat_total:
            lines.append(line("1520", supplier, vat_total, desc="VAT", is_vat=1))
        return PURCHASE, lines, {"account": supplier, "gross": gross, "vat": vat_total,
                                 "gross_fc": gross_fc, "currency": currency, "rate": rate}

    def bank_plan(self) -> tuple:
        """A bank statement entry settling earlier receivables and payments."""
        g, rng = self.g, self.rng
        lines: list[tuple[Any, ...]] = []
        for _ in range(rng.randint(2, 6)):
            roll = rng.random()
            if roll < 0.55 and self.open_receivables:
                account, cents, cash, number, fc, cur, rate = self.open_receivables.popleft()
                lines.append(line("1300", account, -cents, desc="Payment received", fc=-fc,
                                  match=cash, invoice=number, currency=cur, rate=rate))
            elif roll < 0.88 and self.open_payments:
                account, cents, cash, number, fc, cur, rate = self.open_payments.popleft()
                lines.append(line("1600", account, cents, desc="Payment made", fc=fc,
                                  match=cash, invoice=number, currency=cur, rate=rate))
            elif roll < 0.92:
                lines.append(line("1000", None, g.money(100, 500) // 100 * 100,
                                  desc="Cash withdrawal"))
            else:
                lines.append(line("4950", None, g.money(1, 25), desc="Bank charges"))
        movement = -sum(ln[2] for ln in lines)
        lines.insert(0, line("1100", None, movement, desc="Bank statement"))
        return BANK, lines, {}

    def cash_plan(self) -> tuple:
        """A cash book entry: small expenses paid in cash."""
        g, rng = self.g, self.rng
        lines = [line(rng.choice(("4300", "4400")), None, g.money(5, 120), cc=rng.choice(g.cc),
                      desc="Cash expense") for _ in range(rng.randint(1, 2))]
        lines.insert(0, line("1000", None, -sum(ln[2] for ln in lines), desc="Cash book"))
        return CASH, lines, {}

    def general_plan(self, count: int) -> tuple:
        """A general journal entry of ``count`` lines summing to zero."""
        g, rng = self.g, self.rng
        gls = ["4000", "4100", "4800", "1800", "1900", "0210", "2000"]
        amounts = [g.money(10, 3000) * rng.choice([1, -1]) for _ in range(count - 1)]
        amounts.append(-sum(amounts))
        lines = [line(rng.choice(gls), None, cents,
                      cc=rng.choice(g.cc) if rng.random() < 0.3 else None,
                      desc="Memorial entry") for cents in amounts]
        return GENERAL, lines, {}

    # -- writing ---------------------------------------------------------------------------------
    def write_entry(self, utc: int, kind: int, lines: list[tuple], extra: dict) -> None:
        """Write an entry, its lines, and its invoice / receivable / payment."""
        g, w, d, rng, guid = self.g, self.w, self.g.d, self.rng, self.g.guid.next
        created, modified = g.stamp(utc, 2)
        date = max(day_of(created) - rng.randint(0, 3) * DAY, g.span.first_day)
        year_period = self.periods.get(date)
        if year_period is None:
            year_period = self.periods[date] = fiscal_period(date, g.fiscal_start)
        year, period = year_period
        self.counters[kind] += 1
        count = self.counters[kind]
        number = (year % 100) * 1_000_000 + JOURNAL_CODE[kind] * 10_000 + count % 10_000
        number = number if count < 10_000 else number + count
        rid = w.rid("entry")
        account = extra.get("account")
        gross = extra.get("gross", 0)
        currency, rate = extra.get("currency", "EUR"), extra.get("rate", 1.0)
        invoice_number = number if kind in (SALES, PURCHASE) else None
        cash_rid = w.rid("cashflow") if kind in (SALES, PURCHASE) else None
        entry_id = guid()
        journal = g.journal[JOURNAL_OF[kind]]
        due = date + 30 * DAY if kind in (SALES, PURCHASE) else None
        your_ref = f"REF{rng.randint(10000, 99999)}" if kind == PURCHASE else None
        payment_ref = f"{number:016d}" if kind == SALES else None
        description = f"{DESCRIPTION[kind]} {number}"
        entry_type = ENTRY_TYPE[kind]
        entry_js = g.snips.entry_js(entry_id, number, date, due, year, period, journal,
                                    your_ref, payment_ref, 50, entry_type, created, modified)
        # Rows go straight into the writer's buffers (full width, cheaper than Writer.add); all
        # are flushed when the lines' buffer, the biggest, is full.
        w.buffers.setdefault("entry", []).append((
            rid, d, entry_id, number, entry_type, journal, date, due, year, period, account,
            description, invoice_number, your_ref, payment_ref, gross / 100,
            extra.get("vat", 0) / 100, 50, guid() if kind == PURCHASE else None,
            created, modified, entry_js, currency, rate, extra.get("gross_fc", gross) / 100))
        add = w.buffers.setdefault("tl", []).append
        line_js = g.snips.line_js
        gl_rids = g.gl
        base_ts = utc * 32
        w.rid("tl")  # the lines take the rowids from this one on
        first_rid = w.next_rid["tl"] - 1
        w.next_rid["tl"] = first_rid + len(lines)
        for n, (gl, acc, cents, vat_rid, cc, cu, item, qty, desc, is_vat, vat_cents,
                base_cents, fc, match, invoice, cur, line_rate) in enumerate(lines):
            line_id = guid()
            if n == 0 and cash_rid is not None:
                match = cash_rid
            if invoice_number is not None:
                invoice = invoice_number
            amount, amount_fc = cents / 100, fc / 100
            vat, base = vat_cents / 100, base_cents / 100
            base_fc = base if cur == "EUR" else (fc / 100 if base_cents else 0.0)
            add((first_rid + n, d, line_id, base_ts + n, rid, kind, n, gl_rids[gl], acc,
                 amount, vat, base, vat_rid, cc, cu, None, item, qty, desc, is_vat,
                 line_js(line_id, n, amount, amount_fc, vat, base_fc, qty, desc, invoice,
                         cur, line_rate),
                 amount_fc, invoice, match, cur, line_rate, base_fc))
        if len(w.buffers["tl"]) >= 20_000:
            w.flush()
        if cash_rid is not None:
            self.sums.terms[cash_rid] = ["R" if kind == SALES else "P", account, rid, currency,
                                         0, 0, None]
        self.sums.entry(rid, date, year, period, entry_type, cash_rid, lines, gl_rids)
        if kind == SALES:
            self.write_invoice(utc, rid, number, date, created, modified, extra)
        if cash_rid is not None:
            # Status and LastPaymentDate follow from the bank lines that settle the term
            # (reports.refresh); a term is due to be settled by a later bank entry or not.
            w.buffers.setdefault("cashflow", []).append((
                cash_rid, d, guid(), "R" if kind == SALES else "P", account,
                g.gl["1300" if kind == SALES else "1600"], rid, gross / 100, 20, None, created,
                modified, base_ts + CASHFLOW_TS))
            if rng.random() < 0.97:  # a few are never paid
                queue = self.open_receivables if kind == SALES else self.open_payments
                queue.append((account, gross, cash_rid, number,
                              extra.get("gross_fc", gross), currency, rate))

    def write_invoice(self, utc: int, entry_rid: int, number: int, date: int, created: int,
                      modified: int, extra: dict) -> None:
        """Write the sales invoice (header row + line rows) behind a sales entry."""
        g, w, d, guid = self.g, self.w, self.g.d, self.g.guid.next
        inv_utc = utc + 1  # sinv slot = tl slot + 1
        rid = w.rid("invoice")
        gross, vat = extra["gross"], extra["vat"]
        account = extra["account"]
        sinv = w.buffers.setdefault("sinv", []).append  # flushed with the lines (write_entry)
        w.buffers.setdefault("invoice", []).append((
            rid, d, guid(), number, date, date + 30 * DAY, date - 7 * DAY, None, account,
            g.journal[20], f"Invoice {number}", None, None, 50, gross / 100, (gross - vat) / 100,
            vat / 100, entry_rid, created + 1, modified + 1))
        sinv((w.rid("sinv"), d, guid(), timestamp(inv_utc, 0), rid, 0, None, None, None,
              gross / 100, vat / 100, None, g.gl["1300"], None, None, f"Invoice {number}"))
        for n, (item, qty, price, net, vat_c, vat_rid, gl, cc, cu, desc) in enumerate(
                extra["invoice_lines"], start=1):
            sinv((w.rid("sinv"), d, guid(), timestamp(inv_utc, n), rid, n, item, float(qty),
                  price / 100, net / 100, vat_c / 100, vat_rid, g.gl[gl], cc, cu, desc))
