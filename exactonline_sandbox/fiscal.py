"""A division's fiscal calendar, exchange rates, RGS reporting scheme and budgets.

* financial/FinancialPeriods: 12 monthly periods for every financial year from the first
  entry's to the as-of date's (:mod:`.timeline`; the second division's year starts in April).
* financial/ExchangeRates: one rate per month for USD and GBP into EUR (a slow random walk),
  used by the ledger for the invoices of suppliers abroad.
* financial/GLSchemes + GLAccountClassificationMappings: the Dutch reference chart of accounts
  (RGS, "Referentie Grootboekschema") as a reporting scheme: RGS-style classifications (in
  financial/GLClassifications, ``TaxonomyNamespace`` = the scheme) and one mapping per GL
  account. The codes follow RGS's naming (``BLim`` liquid assets, ``WOmz`` net revenue, ...);
  the tree is a small subset of the real RGS.
* budget/Budgets: one scenario per financial year ("Budget 2025"), an amount per
  profit-and-loss GL account and period: the account's average monthly result over the
  generated data times a per-account, per-year factor (0.85-1.15) and a per-period one
  (0.95-1.05), in euros and cents, in the sign of the postings (costs positive, revenue negative).
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from exactonline_sandbox.generator import DAY, event_times, timestamp
from exactonline_sandbox.odata import wall_ms
from exactonline_sandbox.timeline import fiscal_years, period_bounds

if TYPE_CHECKING:
    from exactonline_sandbox.generator import DivisionGenerator

#: currency -> (description, EUR per unit at the start of the data)
FOREIGN = {"USD": ("US Dollar", 0.92), "GBP": ("Pound sterling", 1.17)}
CURRENCY_NAMES = {"EUR": "Euro", **{code: name for code, (name, _) in FOREIGN.items()}}

RGS_NAMESPACE = "http://www.nltaxonomie.nl/rgs/3.5"
# (code, description, balance side, parent code)
RGS_CLASSES = [
    ("B", "Balans", None, None),
    ("BMva", "Materiele vaste activa", "D", "B"),
    ("BVor", "Vorderingen", "D", "B"),
    ("BLim", "Liquide middelen", "D", "B"),
    ("BEiv", "Eigen vermogen", "C", "B"),
    ("BSch", "Kortlopende schulden", "C", "B"),
    ("W", "Winst- en verliesrekening", None, None),
    ("WOmz", "Netto-omzet", "C", "W"),
    ("WOvb", "Overige bedrijfsopbrengsten", "C", "W"),
    ("WKpr", "Kostprijs van de omzet", "D", "W"),
    ("WPer", "Lonen en salarissen", "D", "W"),
    ("WAfs", "Afschrijvingen", "D", "W"),
    ("WBed", "Overige bedrijfskosten", "D", "W"),
    ("WFbe", "Financiele baten en lasten", "D", "W"),
]
# first two digits of a GL account code -> RGS classification
RGS_OF_PREFIX = {
    "02": "BMva", "10": "BLim", "11": "BLim", "13": "BVor", "15": "BSch", "16": "BSch",
    "18": "BSch", "19": "BSch", "20": "BVor", "05": "BEiv", "06": "BEiv", "40": "WPer",
    "48": "WAfs", "49": "WFbe", "70": "WKpr", "71": "WKpr", "80": "WOmz", "81": "WOmz",
    "82": "WOmz", "89": "WOvb",
}
RGS_OVERRIDES = {"1520": "BVor"}


def rgs_code(gl_code: str) -> str:
    """The RGS classification code a GL account of the sandbox's chart maps to."""
    if gl_code in RGS_OVERRIDES:
        return RGS_OVERRIDES[gl_code]
    return RGS_OF_PREFIX.get(gl_code[:2], "WBed")


def calendar(gen: DivisionGenerator) -> None:
    """Financial periods, exchange rates and the RGS scheme of a division (after reference())."""
    w, d, guid, span = gen.w, gen.d, gen.guid, gen.span
    created = wall_ms(span.setup - 25 * DAY)
    for year in fiscal_years(span, gen.fiscal_start):
        for period in range(1, 13):
            start, end = period_bounds(year, period, gen.fiscal_start)
            created += 1000  # one row a second, as entered (a Modified bookmark splits them)
            w.add("finperiod", (w.rid("finperiod"), d, guid(), year, period, start, end,
                                created, created))
    rng = random.Random(f"exactonline-sandbox:{gen.seed}:{d}:rates")  # noqa: S311
    first_year, first_month, _ = _ymd(span.start)
    last_year, last_month, _ = _ymd(span.last_day)
    for currency, (_name, rate) in FOREIGN.items():
        year, month = first_year, first_month
        while (year, month) <= (last_year, last_month):
            gen.rates[(currency, year, month)] = round(rate, 4)
            start, _ = period_bounds(year, month)
            stamp = wall_ms(start - DAY + 9 * 3_600_000)
            w.add("xrate", (w.rid("xrate"), d, guid(), currency, "EUR", round(rate, 4), start,
                            stamp, stamp))
            rate *= 1 + rng.uniform(-0.015, 0.015)
            year, month = (year + (month == 12), month % 12 + 1)
    _rgs(gen)


def _ymd(ms: int) -> tuple[int, int, int]:
    day = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return day.year, day.month, day.day


def _rgs(gen: DivisionGenerator) -> None:
    """The RGS reporting scheme, its classifications and every GL account's mapping."""
    w, d, guid, span = gen.w, gen.d, gen.guid, gen.span
    created = wall_ms(span.setup - 30 * DAY)
    scheme_rid, scheme_id = w.rid("glscheme"), guid()
    w.add("glscheme", (scheme_rid, d, scheme_id, "RGS", "Referentie Grootboekschema (RGS)", 1,
                       RGS_NAMESPACE, created, created))
    class_rid: dict[str, int] = {}
    class_id: dict[str, str] = {}
    times = event_times("glclass", span.setup - 30 * DAY, span.setup - 20 * DAY,
                        len(RGS_CLASSES), gen.rng)
    for (code, desc, balance, parent), utc in zip(RGS_CLASSES, times, strict=False):
        rid = w.rid("glclass")
        class_rid[code], class_id[code] = rid, guid()
        stamp = wall_ms(utc)
        w.add("glclass", (rid, d, class_id[code], timestamp(utc), code, desc, desc,
                          class_id.get(parent) if parent else None, balance,
                          int(parent is None), stamp, stamp, scheme_id, "RGS"))
    for code, gl_rid in sorted(gen.gl.items()):
        w.add("glmap", (w.rid("glmap"), d, guid(), gl_rid, class_rid[rgs_code(code)],
                        scheme_rid))


def budgets(conn: sqlite3.Connection, gen: DivisionGenerator) -> None:
    """Budgets per P&L GL account and period, from the generated actuals (after the ledger).

    The actuals are summed from ``financial/ReportingBalance`` (``rbal``, so after
    :func:`.reports.refresh`): whole cents per group, the same rounded totals as the lines'.
    """
    w, d, span = gen.w, gen.d, gen.span
    months = max(1, round((span.end - span.start) / (30.44 * DAY)))
    actuals = conn.execute(
        "SELECT g.rid, g.Code, round(sum(r.Amount), 2) FROM rbal r "
        "JOIN glacc g ON g.rid = r.gl_r "
        "WHERE r.division = ? AND g.BalanceType = 'W' GROUP BY g.rid, g.Code ORDER BY g.Code",
        (d,)).fetchall()
    rng = random.Random(f"exactonline-sandbox:{gen.seed}:{d}:budgets")  # noqa: S311
    guid = gen.guid
    for year in fiscal_years(span, gen.fiscal_start):
        scenario = guid()
        first, _ = period_bounds(year, 1, gen.fiscal_start)
        stamp = wall_ms(max(span.setup, first - 20 * DAY))
        for gl_rid, _code, total in actuals:
            factor = rng.uniform(0.85, 1.15)
            for period in range(1, 13):
                amount = round(total / months * factor * rng.uniform(0.95, 1.05), 2)
                stamp += 1000  # one row a second, as entered
                w.add("budget", (w.rid("budget"), d, guid(), scenario, f"B{year}",
                                 f"Budget {year}", gl_rid, year, period, float(amount), stamp,
                                 stamp))
    w.flush()

