"""End to end: the finance marts of issue 15 over the dbt-duckdb warehouse, checked against the
sandbox truth and Exact's own reports: the trial balance on the account x period spine and its
opening balances, open items (AR/AP) and aging as of any day, budget vs actual, the statements,
cash movement, the reconciliation with ReportingBalance, the open-item lists and the opening
balances (mart_reconciliation, and a corrupted copy that fails it), the demo's printout. The
warehouse is the session fixture ``warehouse`` (tests/warehouses/dbt_warehouse.py), shared with
test_dbt_duckdb.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.warehouses.dbt_warehouse import AGING_AS_OF, DIVISIONS, SANDBOX_AS_OF, Warehouse
from tests.warehouses.helpers import MELTANO, PROJECT_ROOT, calendar_date, cents, truth

# The shared warehouse takes minutes to build, in whichever file's test comes first.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))  # scripts/demo_report.py


# -- trial balance, open items and aging -------------------------------------------------------

def test_trial_balance_has_every_account_in_every_period(warehouse: Warehouse) -> None:
    """The spine: every GL account of a division in every financial period from its first
    year with postings, quiet accounts and periods included; closing = opening + movement,
    and an account's opening is its previous period's closing (P&L accounts: zero at a new
    financial year, whose first period starts in April in the second division)."""
    accounts = Counter(r["Division"] for r in warehouse.truth("gl_accounts"))
    lines = warehouse.truth("transaction_lines")
    first_year = {d: min(r["FinancialYear"] for r in lines if r["Division"] == d)
                  for d in DIVISIONS}
    periods: Counter[int] = Counter()
    for division in DIVISIONS:
        calendar = {(p["FinYear"], p["FinPeriod"])
                    for p in truth(warehouse.sandbox, [division], "financial_periods")}
        posted = {(r["FinancialYear"], r["FinancialPeriod"]) for r in lines
                  if r["Division"] == division}  # a change made today may lie beyond it
        periods[division] = sum(year >= first_year[division] for year, _ in calendar | posted)
    rows = warehouse.sql("""select division, gl_account_id, balance_type, financial_year,
        financial_period, period_start_date, opening_balance_dc, net_movement_dc,
        closing_balance_dc, result_carried_dc, is_first_period_of_year
        from analytics_marts.mart_trial_balance
        order by division, gl_account_id, financial_year, financial_period""")
    per_division = Counter(r[0] for r in rows)
    assert per_division == {d: accounts[d] * periods[d] for d in DIVISIONS}
    previous: dict[tuple[int, str], tuple[int, Any, Any]] = {}
    april_starts = 0
    for (division, account, btype, year, period, start, opening, net, closing, carried,
         first) in rows:
        assert cents(opening) + cents(net) == cents(closing)
        before = previous.get((division, account))
        if btype == "W" and (before is None or before[0] != year):
            assert cents(opening) == 0  # profit and loss starts every financial year at zero
        elif before is not None:
            # balance sheet: carried on (retained earnings: plus the closed years' result)
            assert cents(opening) - cents(carried) == cents(before[1]) - cents(before[2])
        if first and period == 1 and division == DIVISIONS[1]:
            assert start.month == 4
            april_starts += 1
        previous[(division, account)] = (year, closing, carried)
    assert april_starts > 0


def ledger_open_items(warehouse: Warehouse, as_of: datetime) -> dict[tuple[Any, ...], Any]:
    """(division, 'receivable'|'payable', account, invoice) -> (open amount, due date) as of a
    day, from the truth's transaction lines on receivables (Type 20) / payables (22) accounts."""
    kinds = {(g["Division"], g["ID"]): {20: "receivable", 22: "payable"}.get(g["Type"])
             for g in warehouse.truth("gl_accounts")}
    items: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [cents(0), None])
    for r in warehouse.truth("transaction_lines"):
        kind = kinds[(r["Division"], r["GLAccount"])]
        if kind is None or calendar_date(r["Date"]) > as_of:
            continue
        item = items[(r["Division"], kind, r["Account"], r["InvoiceNumber"])]
        item[0] += cents(r["AmountDC"]) * (1 if kind == "receivable" else -1)
        if r["Type"] in (20, 30):
            item[1] = calendar_date(r["DueDate"])
    return {k: v for k, v in items.items() if v[0]}


@pytest.mark.parametrize(("kind", "model"), [
    ("receivable", "mart_receivables_aging"), ("payable", "mart_payables_aging")])
def test_aging_equals_truth(warehouse: Warehouse, kind: str, model: str) -> None:
    """Open items as they were on AGING_AS_OF (the history build passes it as a dbt var):
    ledger lines dated up to that day, per account and invoice, bucketed by days past due."""
    as_of = datetime.fromisoformat(AGING_AS_OF)
    expected: dict[tuple[int, str], list[Any]] = defaultdict(lambda: [0] * 5)
    for (division, item_kind, account, _invoice), (amount, due) in ledger_open_items(
            warehouse, as_of).items():
        if item_kind != kind:
            continue
        days = (as_of - due).days if due else 0
        bucket = sum(days > limit for limit in (0, 30, 60, 90))
        expected[(division, account)][bucket] += amount
    rows = warehouse.sql(f"""select division, account_id, not_due_dc, days_1_30_dc, days_31_60_dc,
        days_61_90_dc, over_90_dc from hist_marts.{model}""")
    actual = {(d, a): [cents(v) for v in vals] for d, a, *vals in rows}
    assert actual == {k: [cents(v) for v in vals] for k, vals in expected.items()}
    assert actual
    as_of_dates = warehouse.sql(f"select distinct as_of_date from hist_marts.{model}")
    assert as_of_dates == [(as_of.date(),)]


def test_open_items_as_of_any_day(warehouse: Warehouse) -> None:
    """mart_open_items of the history build (as of AGING_AS_OF) and the current open items
    (every line) both equal the ledger truth item by item."""
    as_of = datetime.fromisoformat(AGING_AS_OF)
    for model, day in (("hist_marts.mart_open_items", as_of),
                       ("hist_intermediate.int_open_items_current", datetime(2100, 1, 1))):
        rows = warehouse.sql(f"""select division, item_type, account_id, invoice_number,
            open_amount_dc, due_date from {model}""")
        actual = {(d, k, a, i): (cents(v), due) for d, k, a, i, v, due in rows}
        expected = {k: (v[0], v[1].date() if v[1] else None)
                    for k, v in ledger_open_items(warehouse, day).items()}
        assert actual == expected, model
        assert actual


# -- statements, reconciliation, the demo's printout -------------------------------------------

@pytest.mark.parametrize("schema", ["analytics_marts", "hist_marts"])
def test_warehouse_reconciles_with_exacts_own_reports(warehouse: Warehouse, schema: str) -> None:
    """Trial balance = ReportingBalance, open items = ReceivablesList/PayablesList, opening
    balances = Exact's, every entry balances, every period nets to zero: per division."""
    rows = warehouse.sql(f"""select check_name, division, compared, differences, status
        from {schema}.mart_reconciliation""")
    checks = {(c, d): (n, k, s) for c, d, n, k, s in rows}
    names = {c for c, _ in checks}
    assert names == {"trial balance = Exact ReportingBalance",
                     "open receivables = Exact ReceivablesList",
                     "open payables = Exact PayablesList",
                     "opening balances = Exact OpeningBalance", "every journal entry balances",
                     "trial balance nets to zero per period"}
    assert all(status == "OK" and differences == 0 for _n, differences, status in checks.values())
    for division in DIVISIONS:  # not vacuous: real rows compared in every division
        assert checks[("trial balance = Exact ReportingBalance", division)][0] > 50
        assert checks[("opening balances = Exact OpeningBalance", division)][0] > 5
    assert sum(n for (c, _d), (n, _k, _s) in checks.items() if c.startswith("open ")) > 3


def test_statements_are_thin_selects_over_the_trial_balance(warehouse: Warehouse) -> None:
    balance = warehouse.sql("""select division, financial_year, financial_period,
        sum(closing_balance_dc), count(*) filter (where line_type = 'current_year_result')
        from analytics_marts.mart_balance_sheet group by all""")
    assert balance
    assert all(cents(total) == 0 and results == 1 for *_, total, results in balance)
    profit = dict(((d, y, p), cents(v)) for d, y, p, v in warehouse.sql("""select division,
        financial_year, financial_period, sum(profit_dc) from analytics_marts.mart_profit_and_loss
        group by all"""))
    result_line = dict(((d, y, p), cents(v)) for d, y, p, v in warehouse.sql("""select division,
        financial_year, financial_period, -sum(net_movement_dc)
        from analytics_marts.mart_trial_balance where balance_type = 'W' group by all"""))
    assert profit == result_line
    rgs = warehouse.sql("""select count(*), count(rgs_code) from analytics_marts.mart_balance_sheet
        where line_type = 'account'""")
    assert rgs[0][0] == rgs[0][1] > 0  # every account has its RGS classification


def test_budget_vs_actual_equals_the_budgets_and_the_trial_balance(warehouse: Warehouse) -> None:
    budgets: dict[tuple[Any, ...], Any] = defaultdict(int)
    for b in warehouse.truth("budgets"):
        key = (b["Division"], b["BudgetScenarioCode"], b["ReportingYear"], b["ReportingPeriod"],
               b["GLAccount"])
        budgets[key] += cents(b["AmountDC"])
    rows = warehouse.sql("""select b.division, b.budget_scenario_code, b.financial_year,
        b.financial_period, t.gl_account_id, b.budget_dc, b.actual_dc, t.net_movement_dc,
        b.variance_dc from analytics_marts.mart_budget_vs_actual b
        join analytics_marts.mart_trial_balance t
          on t.gl_account_key = b.gl_account_key and t.financial_year = b.financial_year
         and t.financial_period = b.financial_period""")
    seen = {}
    for d, code, y, p, gl, budget, actual, tb_net, variance in rows:
        seen[(d, code, y, p, gl)] = cents(budget)
        assert cents(actual) == cents(tb_net)
        assert cents(variance) == cents(actual) - cents(budget)
    in_spine = {k: v for k, v in budgets.items() if (k[0], k[2]) in {(s[0], s[2]) for s in seen}}
    assert {k: v for k, v in seen.items() if v} == in_spine
    assert in_spine


def test_cash_movement_adds_up_per_bank_and_cash_journal(warehouse: Warehouse) -> None:
    rows = warehouse.sql("""select journal_kind, opening_balance_dc, journal_movement_dc,
        other_journals_movement_dc, closing_balance_dc, customers_dc, suppliers_dc, transfers_dc,
        other_dc, money_in_dc, money_out_dc from analytics_marts.mart_cash_movement""")
    assert {r[0] for r in rows} == {"bank", "cash"}
    for (_kind, opening, journal, others, closing, customers, suppliers, transfers, other, inn,
         out) in rows:
        assert cents(opening) + cents(journal) + cents(others) == cents(closing)
        parts = cents(customers) + cents(suppliers) + cents(transfers) + cents(other)
        assert parts == cents(journal)
        assert cents(inn) - cents(out) == cents(journal)
    assert any(r[5] for r in rows)  # customers paid into the bank
    assert any(r[6] for r in rows)  # suppliers paid from it


def test_demo_prints_the_trial_balance_of_the_mart(warehouse: Warehouse,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """One definition: the demo's printout is mart_trial_balance, number for number."""
    import demo_report

    today = datetime.fromisoformat(SANDBOX_AS_OF).date()  # the sandbox's "today"
    tb = demo_report.trial_balance(warehouse.db, today=today)
    assert tb is not None
    assert (tb.division, tb.financial_year, tb.financial_period) == (DIVISIONS[0], 2025, 11)
    mart = warehouse.sql(f"""select gl_account_code, opening_balance_dc, debit_dc, credit_dc,
        closing_balance_dc from analytics_marts.mart_trial_balance
        where division = {DIVISIONS[0]} and financial_year = 2025 and financial_period = 11
          and (opening_balance_dc <> 0 or debit_dc <> 0 or credit_dc <> 0
               or closing_balance_dc <> 0)
        order by gl_account_code""")
    printed = []
    for line in demo_report.format_trial_balance(tb)[2:-2]:
        code, *_description, opening, debit, credit, closing = line.split()
        printed.append((code, *(Decimal(v.replace(",", "")) for v in
                                (opening, debit, credit, closing))))
    assert printed == [(c, *(cents(v) for v in values)) for c, *values in mart]
    assert len(printed) > 10
    assert demo_report.format_trial_balance(tb)[-1].endswith(": balanced")
    demo_report.print_report(warehouse.db, {}, {})
    out = capsys.readouterr().out
    assert "from mart_trial_balance" in out
    assert "all checks OK" in out


def test_a_corrupted_warehouse_fails_with_a_readable_diff(warehouse: Warehouse,
                                                          tmp_path: Path) -> None:
    """Delete one transaction line and change another's amount in a copy of the warehouse:
    dbt's reconciliation tests fail, and the diff names the periods, accounts and amounts."""
    db = tmp_path / "corrupted.duckdb"
    shutil.copy(warehouse.db, db)
    with duckdb.connect(str(db)) as con:
        gone = con.execute("""select id, division, financialyear, financialperiod,
            trim(glaccountcode), amountdc, entryid from exactonline.transaction_lines
            where linenumber > 0 and abs(amountdc) > 1 order by id limit 1""").fetchone()
        changed = con.execute("""select id, division, financialyear, financialperiod,
            trim(glaccountcode) from exactonline.transaction_lines
            where trim(glaccountcode) <> ? and entryid <> ? and linenumber > 0
            order by id desc limit 1""", [gone[4], gone[6]]).fetchone()
        con.execute("delete from exactonline.transaction_lines where id = ?", [gone[0]])
        con.execute("update exactonline.transaction_lines set amountdc = amountdc + 12.34 "
                    "where id = ?", [changed[0]])
    env = {**warehouse.env, "DBT_DUCKDB_PATH": str(db), "DBT_TARGET_PATH": str(tmp_path / "t"),
           "DBT_LOG_PATH": str(tmp_path / "logs")}
    proc = subprocess.run(
        [str(MELTANO), "invoke", "dbt-duckdb", "build", "--select",
         "+assert_warehouse_reconciles_with_exact"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log[-3000:]
    assert "Failure in test assert_warehouse_reconciles_with_exact" in log, log[-3000:]
    assert "Warning in test assert_trial_balance_equals_reporting_balance" in log
    assert "Warning in test assert_journal_entries_balance" in log
    with duckdb.connect(str(db), read_only=True) as con:
        status = dict(con.execute("""select check_name, sum(differences)
            from analytics_marts.mart_reconciliation group by check_name""").fetchall())
    assert status["trial balance = Exact ReportingBalance"] == 2
    assert status["every journal entry balances"] == 2

    with duckdb.connect(str(db), read_only=True) as con:
        diff = con.execute("""select division, financial_year, financial_period,
            trim(gl_account_code), net_difference_dc
            from analytics_dbt_test__audit.assert_trial_balance_equals_reporting_balance"""
        ).fetchall()
    assert {(d, y, p, g): cents(v) for d, y, p, g, v in diff} == {
        tuple(gone[1:5]): -cents(gone[5]), tuple(changed[1:5]): cents("12.34")}
