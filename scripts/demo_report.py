"""What `make demo` prints after the load: rows per table, the trial balance, the reconciliation.

The warehouse is the one target-duckdb writes (schema ``exactonline``, one table per stream)
plus the dbt models built over it (schema ``analytics_marts``, transform/). The trial balance
printed here is ``mart_trial_balance`` as it is, for one division and the last closed period:
one definition everywhere (no SQL of its own). The reconciliation is ``mart_reconciliation``:
the warehouse against Exact's own reports (ReportingBalance, ReceivablesList, PayablesList,
opening balances) and the books' own balance checks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

SCHEMA = "exactonline"
MARTS = "analytics_marts"

# The period to show: the last financial period of the division that ended before today's
# month began (the last closed month), from the mart itself.
LAST_CLOSED_PERIOD_SQL = """
SELECT financial_year, financial_period, period_start_date, period_end_date
FROM {marts}.mart_trial_balance
WHERE division = $division AND period_end_date < $month_start
ORDER BY period_end_date DESC
LIMIT 1
"""
TRIAL_BALANCE_SQL = """
SELECT gl_account_code, gl_account_description, opening_balance_dc, debit_dc, credit_dc,
       closing_balance_dc
FROM {marts}.mart_trial_balance
WHERE division = $division AND financial_year = $year AND financial_period = $period
  AND (opening_balance_dc <> 0 OR debit_dc <> 0 OR credit_dc <> 0 OR closing_balance_dc <> 0)
ORDER BY gl_account_code
"""
RECONCILIATION_SQL = """
SELECT check_name, division, compared, differences, max_difference, status
FROM {marts}.mart_reconciliation
ORDER BY check_name, division
"""


@dataclass(frozen=True)
class TrialBalance:
    """One division's trial balance for one period, as mart_trial_balance has it.

    Amounts in the division's currency (Decimal; debit positive): per GL account the opening
    balance, the period's debits and credits, and the closing balance.
    """

    division: int
    financial_year: int
    financial_period: int
    period_start: dt.date
    period_end: dt.date
    rows: list[tuple[str, str, Decimal, Decimal, Decimal, Decimal]]

    def total(self, column: int) -> Decimal:
        """Sum of one amount column (2 opening, 3 debit, 4 credit, 5 closing)."""
        return sum((row[column] for row in self.rows), Decimal(0))


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _sql(template: str, path: Path) -> str:
    # qualified: the file exactonline.duckdb makes "exactonline" a catalog name as well
    return template.format(marts=f'"{path.stem}".{MARTS}')


def table_counts(path: Path) -> dict[str, int]:
    """Rows per table of schema ``exactonline``; empty when the database does not exist."""
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "ORDER BY table_name", [SCHEMA]).fetchall()]
        con.execute(f'USE "{path.stem}"."{SCHEMA}"')
        return {t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
                for t in tables}


def has_marts(path: Path) -> bool:
    """Whether dbt has built the marts into the warehouse."""
    if not path.exists():
        return False
    with duckdb.connect(str(path), read_only=True) as con:
        found = con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                            "table_schema = ? AND table_name = 'mart_trial_balance'",
                            [MARTS]).fetchone()
    return bool(found and found[0])


def trial_balance(path: Path, division: int | None = None,
                  today: dt.date | None = None) -> TrialBalance | None:
    """The trial balance of the last closed period (default: the first division).

    None when the division has no period that ended before this month.
    """
    month_start = (today or dt.date.today()).replace(day=1)
    with _connect(path) as con:
        if division is None:
            division = con.execute(_sql("SELECT min(division) FROM {marts}.mart_trial_balance",
                                        path)).fetchone()[0]
        period = con.execute(_sql(LAST_CLOSED_PERIOD_SQL, path),
                             {"division": division, "month_start": month_start}).fetchone()
        if period is None:
            return None
        year, number, start, end = period
        rows = con.execute(_sql(TRIAL_BALANCE_SQL, path),
                           {"division": division, "year": year, "period": number}).fetchall()
    return TrialBalance(division, year, number, start, end,
                        [(code or "", desc or "", *(Decimal(v) for v in amounts))
                         for code, desc, *amounts in rows])


def format_trial_balance(tb: TrialBalance) -> list[str]:
    """The printed lines of a trial balance (amounts with two decimals, thousands separated)."""
    lines = [f"Trial balance, division {tb.division}, financial year {tb.financial_year} "
             f"period {tb.financial_period} ({tb.period_start:%d %b %Y} - "
             f"{tb.period_end:%d %b %Y}, the last closed period), from mart_trial_balance:",
             f"  {'account':<8}{'description':<34}{'opening':>15}{'debit':>14}{'credit':>14}"
             f"{'closing':>15}"]
    for code, description, opening, debit, credit, closing in tb.rows:
        lines.append(f"  {code:<8}{description[:33]:<34}{opening:>15,.2f}{debit:>14,.2f}"
                     f"{credit:>14,.2f}{closing:>15,.2f}")
    debit, credit = tb.total(3), tb.total(4)
    opening, closing = tb.total(2), tb.total(5)
    lines.append(f"  {'total':<42}{opening:>15,.2f}{debit:>14,.2f}{credit:>14,.2f}"
                 f"{closing:>15,.2f}")
    balanced = debit == credit and opening == 0 and closing == 0
    lines.append("  debits = credits, opening and closing balances net to zero: "
                 + ("balanced" if balanced else "NOT balanced"))
    return lines


def reconciliation(path: Path) -> list[tuple[str, int, int, int, Decimal, str]]:
    """Rows of mart_reconciliation: check, division, compared, differences, max diff, status."""
    with _connect(path) as con:
        return [(c, d, n, k, Decimal(m), s)
                for c, d, n, k, m, s in con.execute(_sql(RECONCILIATION_SQL, path)).fetchall()]


def format_reconciliation(rows: list[tuple[str, int, int, int, Decimal, str]]) -> list[str]:
    """The printed lines of the reconciliation."""
    lines = ["Reconciliation with Exact's own reports (mart_reconciliation; dbt tests fail on "
             "any difference):",
             f"  {'check':<44}{'division':>9}{'compared':>10}{'differences':>13}{'status':>8}"]
    for check, division, compared, differences, _max_diff, status in rows:
        lines.append(f"  {check:<44}{division:>9}{compared:>10}{differences:>13}{status:>8}")
    bad = [r for r in rows if r[5] != "OK"]
    lines.append("  all checks OK" if rows and not bad else
                 f"  {len(bad)} check(s) differ: see the recon_* models in {MARTS}")
    return lines


def print_report(path: Path, before: dict[str, int], received: dict[str, int]) -> None:
    """Print rows per table (before this run, now, new, records received) and the marts."""
    after = table_counts(path)
    print(f"\nRows per table in {path.name} (schema {SCHEMA}):")
    print(f"  {'table':<36}{'rows':>9}{'new':>8}{'received':>10}")
    for table in sorted(after):
        new = after[table] - before.get(table, 0)
        print(f"  {table:<36}{after[table]:>9}{new:>+8}{received.get(table, 0):>10}")
    total_new = sum(after.values()) - sum(before.values())
    total_received = sum(received.values())
    print(f"  {'total':<36}{sum(after.values()):>9}{total_new:>+8}{total_received:>10}")
    print("  (new = rows added to the table by this run; received = records the tap sent, "
          "including\n   updated rows, which replace the stored row, and full-table streams)")
    if before:
        print(f"\nIncremental run: {total_new} new rows, {total_received} records received.")
    if not has_marts(path):
        print(f"\nNo dbt marts in {path.name}: run `meltano invoke dbt-duckdb:build`.")
        return
    tb = trial_balance(path)
    print()
    if tb is None:
        print("No financial period ended before this month: no closed period to report.")
    else:
        print("\n".join(format_trial_balance(tb)))
    print()
    print("\n".join(format_reconciliation(reconciliation(path))))
