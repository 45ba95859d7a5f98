"""What `make demo` prints after the load: rows per table and a trial balance from DuckDB.

The warehouse is the one target-duckdb writes: schema ``exactonline``, one table per stream,
column names lower-cased Exact field names (``amountdc``, ``glaccountcode``, ...).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

SCHEMA = "exactonline"

# Trial balance of one division for one closed month: per GL account the month's debits and
# credits (AmountDC > 0 is debit in Exact) and the closing balance (every posting up to the
# month's end). Exact's TransactionLines hold both sides of every entry, so the totals balance.
TRIAL_BALANCE_SQL = """
WITH lines AS (
    SELECT trim(glaccountcode) AS code, any_value(glaccountdescription) AS description,
           sum(amountdc) FILTER (WHERE date >= $start AND date < $end AND amountdc > 0) AS debit,
           -sum(amountdc) FILTER (WHERE date >= $start AND date < $end AND amountdc < 0)
               AS credit,
           sum(amountdc) FILTER (WHERE date < $end) AS closing
    FROM transaction_lines
    WHERE division = $division
    GROUP BY 1
)
SELECT code, description, coalesce(debit, 0), coalesce(credit, 0), coalesce(closing, 0)
FROM lines
WHERE coalesce(debit, 0) <> 0 OR coalesce(credit, 0) <> 0 OR round(closing, 2) <> 0
ORDER BY code
"""


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


def print_report(path: Path, before: dict[str, int], received: dict[str, int]) -> None:
    """Print rows per table (before this run, now, new, records received) and a trial balance."""
    after = table_counts(path)
    print(f"\nRows per table in {path.name} (schema {SCHEMA}):")
    print(f"  {'table':<28}{'rows':>9}{'new':>8}{'received':>10}")
    for table in sorted(after):
        new = after[table] - before.get(table, 0)
        print(f"  {table:<28}{after[table]:>9}{new:>+8}{received.get(table, 0):>10}")
    total_new = sum(after.values()) - sum(before.values())
    total_received = sum(received.values())
    print(f"  {'total':<28}{sum(after.values()):>9}{total_new:>+8}{total_received:>10}")
    print("  (new = rows added to the table by this run; received = records the tap sent, "
          "including\n   updated rows, which replace the stored row, and full-table streams)")
    if before:
        print(f"\nIncremental run: {total_new} new rows, {total_received} records received.")
    if "transaction_lines" in after:
        print_trial_balance(path)


def print_trial_balance(path: Path, limit: int = 15) -> None:
    """Print the trial balance of the current division for the last closed month."""
    with duckdb.connect(str(path), read_only=True) as con:
        # USE: the file exactonline.duckdb makes "exactonline" a catalog name as well
        con.execute(f'USE "{path.stem}"."{SCHEMA}"')
        division, last = con.execute(
            "SELECT min(division), max(date) FROM transaction_lines "
            "WHERE date < date_trunc('month', current_date)").fetchone()
        if last is None:
            print("\nNo transaction lines before this month: no closed month to report.")
            return
        start = dt.datetime(last.year, last.month, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        rows = con.execute(TRIAL_BALANCE_SQL,
                           {"start": start, "end": end, "division": division}).fetchall()
    print(f"\nTrial balance, division {division}, {start:%B %Y} (last closed month), from "
          "transaction_lines:")
    print(f"  {'account':<10}{'description':<32}{'debit':>14}{'credit':>14}{'closing':>16}")
    shown = sorted(rows, key=lambda r: -abs(r[4]))[:limit]
    for code, description, debit, credit, closing in sorted(shown, key=lambda r: r[0] or ""):
        print(f"  {code or '':<10}{(description or '')[:31]:<32}{debit:>14,.2f}{credit:>14,.2f}"
              f"{closing:>16,.2f}")
    if len(rows) > limit:
        print(f"  ... {len(rows) - limit} more accounts (largest closing balances shown)")
    debit = sum(r[2] for r in rows)
    credit = sum(r[3] for r in rows)
    closing = sum(r[4] for r in rows)
    print(f"  {'total':<42}{debit:>14,.2f}{credit:>14,.2f}{closing:>16,.2f}")
    verdict = "balanced" if abs(debit - credit) < 0.005 and abs(closing) < 0.005 else "NOT balanced"
    print(f"  debits {'=' if verdict == 'balanced' else '<>'} credits: {verdict}")
