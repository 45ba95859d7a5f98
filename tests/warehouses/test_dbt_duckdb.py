"""End to end: sandbox -> tap -> target-duckdb -> dbt-duckdb, checked against the sandbox truth.

One sandbox, one DuckDB file, two load modes side by side:

* upsert (schema ``exactonline``): ``meltano run tap-exactonline target-duckdb``, then changes in
  the sandbox (updates, deletes, a new journal entry), then exactly the README's command
  ``meltano run tap-exactonline target-duckdb dbt-duckdb:build`` (dbt's own tests run in it:
  unique/not-null keys, fact -> dimension relationships, balanced journal entries);
* append-only history (schema ``exactonline_history``):
  ``meltano run tap-exactonline-history target-duckdb-history`` before and after the same
  changes, then ``meltano invoke dbt-duckdb build`` over that schema (models in ``hist_*``).

The tests then compare the models with ``/_sandbox/truth`` after the changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_exactonline.streams import SPECS
from tests.support.sandbox import SandboxProcess
from tests.warehouses.helpers import (
    DBT_SOURCE_STREAMS,
    MELTANO,
    PROJECT_ROOT,
    calendar_date,
    cents,
    ensure_plugins,
    meltano,
    meltano_env,
    truth,
)

# Two loads, two dbt builds of the whole project: minutes on a busy 2-core machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))  # scripts/demo_report.py

DIVISIONS = (3100001, 3100018)
CHANGED_DIVISION = 3100001
SANDBOX_AS_OF = "2025-12-20"  # the day the sandbox's data ends (--as-of)
AGING_AS_OF = "2025-06-30"  # a day in the past: open items and aging as they were then


@dataclass
class Warehouse:
    db: Path
    sandbox: SandboxProcess
    changed: dict[str, dict[str, list[str]]]  # stream -> action -> IDs
    env: dict[str, str]
    work: Path

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.sql(query).fetchall()

    def truth(self, stream: str) -> list[dict[str, Any]]:
        return truth(self.sandbox, DIVISIONS, stream)


def _mutate(sandbox: SandboxProcess, stream: str, action: str, count: int) -> list[str]:
    body = {"division": CHANGED_DIVISION, "stream": stream, "action": action, "count": count}
    return [c["ID"] for c in sandbox.mutate(body)["changed"]]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    ensure_plugins(("extractor", "tap-exactonline"), ("loader", "target-duckdb"),
                   ("utility", "dbt-duckdb"))
    work = tmp_path_factory.mktemp("dbt-duckdb")
    sandbox = SandboxProcess(seed=11, divisions=2, rows=500, as_of=SANDBOX_AS_OF)
    sandbox.start(log_dir=work)
    try:
        db = work / "warehouse.duckdb"
        env = meltano_env(sandbox, work, db)
        # The history pipeline reads only what the dbt project needs (keeps the test short).
        env["TAP_EXACTONLINE_HISTORY__SELECT"] = json.dumps([f"{s}.*" for s in DBT_SOURCE_STREAMS])

        meltano(["run", "tap-exactonline", "target-duckdb"], env, work / "run-1.log")
        meltano(["run", "tap-exactonline-history", "target-duckdb-history"], env,
                work / "history-1.log")

        changed: dict[str, dict[str, list[str]]] = defaultdict(dict)
        # Exact logs no deletion of a payment: the second runs find it by delete detection.
        # It goes with its purchase entry (and that entry's transaction lines), as in Exact,
        # so the books still reconcile with Exact's reports.
        payments = {r["ID"] for d in DIVISIONS for r in sandbox.truth(d, "payments")}
        changed["purchase_entries"]["delete"] = _mutate(sandbox, "purchase_entries", "delete", 1)
        changed["payments"]["delete"] = sorted(
            payments - {r["ID"] for d in DIVISIONS for r in sandbox.truth(d, "payments")})
        changed["accounts"]["update"] = _mutate(sandbox, "accounts", "update", 3)
        changed["items"]["update"] = _mutate(sandbox, "items", "update", 2)
        changed["sales_invoices"]["update"] = _mutate(sandbox, "sales_invoices", "update", 1)
        changed["sales_invoices"]["delete"] = _mutate(sandbox, "sales_invoices", "delete", 1)
        changed["transaction_lines"]["delete"] = _mutate(sandbox, "transaction_lines", "delete", 1)
        changed["transaction_lines"]["create"] = _mutate(sandbox, "transaction_lines", "create", 1)

        # The README's command, verbatim (every dbt test passes: the reconciliation
        # too), with the delete-detection pass of the project's
        # weekly schedule (both pipelines recorded the keys they loaded in their own ledgers).
        detect = {"TAP_EXACTONLINE_DELETE_DETECTION_PASS": "true",
                  "TAP_EXACTONLINE_HISTORY_DELETE_DETECTION_PASS": "true"}
        meltano(["run", "tap-exactonline", "target-duckdb", "dbt-duckdb:build"],
                {**env, **detect}, work / "run-2.log")

        meltano(["run", "tap-exactonline-history", "target-duckdb-history"], {**env, **detect},
                work / "history-2.log")
        hist_env = {**env, "DBT_DUCKDB_SOURCE_SCHEMA": "exactonline_history",
                    "DBT_DUCKDB_SCHEMA": "hist"}
        dbt_vars = json.dumps({"aging_as_of": AGING_AS_OF})
        meltano(["invoke", "dbt-duckdb", "build", "--vars", dbt_vars], hist_env,
                work / "dbt-history.log")
        yield Warehouse(db=db, sandbox=sandbox, changed=dict(changed), env=env, work=work)
    finally:
        sandbox.stop()


# -- current state ----------------------------------------------------------------------------

CURRENT_MODELS = {  # model -> (stream, key field in truth, key column in model)
    "cur_transaction_lines": ("transaction_lines", "ID", "transaction_line_id"),
    "cur_gl_accounts": ("gl_accounts", "ID", "gl_account_id"),
    "cur_gl_classifications": ("gl_classifications", "ID", "gl_classification_id"),
    "cur_accounts": ("accounts", "ID", "account_id"),
    "cur_items": ("items", "ID", "item_id"),
    "cur_projects": ("projects", "ID", "project_id"),
    "cur_time_cost_transactions": ("time_cost_transactions", "ID", "time_cost_transaction_id"),
    "cur_purchase_entries": ("purchase_entries", "EntryID", "entry_id"),
    "cur_purchase_entry_lines": ("purchase_entry_lines", "ID", "purchase_entry_line_id"),
    "cur_receivables": ("receivables", "ID", "receivable_id"),
    "cur_payments": ("payments", "ID", "payment_id"),
    "cur_cost_centers": ("cost_centers", "ID", "cost_center_id"),
    "cur_cost_units": ("cost_units", "ID", "cost_unit_id"),
    "cur_journals": ("journals", "ID", "journal_id"),
    "cur_financial_periods": ("financial_periods", "ID", "financial_period_id"),
    "cur_gl_account_classification_mappings": ("gl_account_classification_mappings", "ID",
                                               "mapping_id"),
    "cur_budgets": ("budgets", "ID", "budget_id"),
    "cur_reporting_balances": ("reporting_balances", "ID", "reporting_balance_id"),
    "cur_receivables_list": ("receivables_list", "HID", "open_item_id"),
    "cur_payables_list": ("payables_list", "HID", "open_item_id"),
    "cur_opening_balances_current_year": ("opening_balances_current_year", "GLAccount",
                                          "gl_account_id"),
}


@pytest.mark.parametrize("schema", ["analytics_current", "hist_current"])
@pytest.mark.parametrize("model", sorted(CURRENT_MODELS))
def test_current_state_equals_truth(warehouse: Warehouse, model: str, schema: str) -> None:
    """Latest version per key, deletes applied: the same keys as the sandbox, per division,
    from the upsert load and from the append-only load alike."""
    stream, key, column = CURRENT_MODELS[model]
    expected = Counter((division, r[key]) for division in DIVISIONS  # reports lack Division
                       for r in warehouse.sandbox.truth(division, stream))
    actual = Counter(warehouse.sql(f"select division, {column} from {schema}.{model}"))
    assert actual == expected
    assert sum(actual.values()) > 0


@pytest.mark.parametrize("schema", ["analytics_current", "hist_current"])
def test_sales_invoices_split_into_headers_and_lines(warehouse: Warehouse, schema: str) -> None:
    rows = warehouse.truth("sales_invoices")
    headers = Counter((r["Division"], r["ID"]) for r in rows if r["LineNumber"] == 0)
    lines = Counter((r["Division"], r["ID"]) for r in rows if r["LineNumber"] != 0)
    select = "select division, sales_invoice_row_id from"
    assert Counter(warehouse.sql(f"{select} {schema}.cur_sales_invoice_headers")) == headers
    assert Counter(warehouse.sql(f"{select} {schema}.cur_sales_invoice_lines")) == lines
    # The lines (amounts excluding VAT, plus their VAT) add up to the header (including VAT).
    sums = warehouse.sql(f"""
        select count(*), count(*) filter (where abs(l.total - h.amount_dc) > 0.005)
        from {schema}.cur_sales_invoice_headers h
        join (select division, invoice_id, sum(amount_dc + vat_amount_dc) as total
              from {schema}.cur_sales_invoice_lines group by all) l
          on l.division = h.division and l.invoice_id = h.invoice_id""")
    assert sums[0][0] == sum(headers.values())
    assert sums[0][1] == 0


def test_deleted_rows_are_gone_from_loaded_tables_and_models(warehouse: Warehouse) -> None:
    """Deletions arrive as tombstones (issue #16): the upsert load (project default
    ``hard_delete``) no longer holds the deleted rows; the append-only history keeps each
    tombstone as the row's last version; no current-state model or fact holds them."""
    for stream, model, fact in (
        ("sales_invoices", "cur_sales_invoice_lines", "fct_sales_invoice_lines"),
        ("transaction_lines", "cur_transaction_lines", "fct_transaction_lines"),
    ):
        deleted = warehouse.changed[stream]["delete"]
        assert deleted
        ids = ", ".join(f"'{i}'" for i in deleted)
        raw = warehouse.sql(f"select count(*) from exactonline.{stream} where id in ({ids})")
        assert raw == [(0,)]
        kept = warehouse.sql(f"select count(distinct id) from exactonline_history.{stream} "
                             f"where id in ({ids}) and _sdc_deleted_at is not null")
        assert kept == [(len(deleted),)]
        key = "sales_invoice_row_id" if stream == "sales_invoices" else "transaction_line_id"
        assert warehouse.sql(
            f"select count(*) from analytics_current.{model} where {key} in ({ids})") == [(0,)]
        fact_key = "sales_invoice_line_id" if stream == "sales_invoices" else "transaction_line_id"
        assert warehouse.sql(
            f"select count(*) from analytics_marts.{fact} where {fact_key} in ({ids})") == [(0,)]
    recorded = {r["EntityKey"] for r in warehouse.truth("deleted")}
    assert set(warehouse.changed["transaction_lines"]["delete"]) <= recorded


def test_deleted_payment_is_gone_by_delete_detection(warehouse: Warehouse) -> None:
    """A payment (Modified family, no deletion log in Exact) deleted in the sandbox with its
    purchase entry: the delete-detection tombstone removes it from the upsert load, ends it in
    the append-only history (the tombstone is its latest version there: its Modified is the
    deletion moment), and no current-state model holds it."""
    deleted = warehouse.changed["payments"]["delete"]
    assert deleted
    ids = ", ".join(f"'{i}'" for i in deleted)
    assert warehouse.sql(f"select count(*) from exactonline.payments where id in ({ids})"
                         ) == [(0,)]
    assert warehouse.sql(f"select count(distinct id) from exactonline_history.payments "
                         f"where id in ({ids}) and _sdc_deleted_at is not null"
                         ) == [(len(deleted),)]
    for schema in ("analytics_current", "hist_current"):
        assert warehouse.sql(f"select count(*) from {schema}.cur_payments "
                             f"where payment_id in ({ids})") == [(0,)], schema


def test_updates_show_the_latest_version(warehouse: Warehouse) -> None:
    truth_ts = {r["ID"]: r["Timestamp"] for r in warehouse.truth("accounts")}
    for account_id in warehouse.changed["accounts"]["update"]:
        rows = warehouse.sql(f"""select exact_timestamp from analytics_current.cur_accounts
            where account_id = '{account_id}'""")
        assert rows == [(truth_ts[account_id],)]


# -- dimensions and facts ---------------------------------------------------------------------

def test_dimensions_match_truth(warehouse: Warehouse) -> None:
    accounts = warehouse.truth("accounts")
    customers = {(a["Division"], a["ID"]) for a in accounts if a["Status"] == "C"}
    suppliers = {(a["Division"], a["ID"]) for a in accounts if a["IsSupplier"]}
    select = "select division, account_id from analytics_marts"
    assert set(warehouse.sql(f"{select}.dim_customers")) == customers
    assert set(warehouse.sql(f"{select}.dim_suppliers")) == suppliers
    assert customers
    assert suppliers
    for model, stream in (("dim_gl_accounts", "gl_accounts"), ("dim_items", "items"),
                          ("dim_projects", "projects"), ("dim_cost_centers", "cost_centers"),
                          ("dim_cost_units", "cost_units")):
        assert warehouse.sql(f"select count(*) from analytics_marts.{model}") == [
            (len(warehouse.truth(stream)),)], model
    codes = warehouse.sql("select division_code from analytics_marts.dim_divisions")
    assert {code for (code,) in codes} == set(DIVISIONS)


def test_gl_classification_hierarchy_is_flattened(warehouse: Warehouse) -> None:
    classes = {(c["Division"], c["ID"]): c for c in warehouse.truth("gl_classifications")}

    def chain(key: tuple[int, str]) -> list[str]:
        names: list[str] = []
        while key in classes:
            names.insert(0, classes[key]["Name"])
            parent = classes[key]["Parent"]
            key = (key[0], parent) if parent else (0, "")
        return names

    rows = warehouse.sql("""select division, gl_classification_id, classification_level,
        classification_path, level_1_name, level_2_name
        from analytics_marts.dim_gl_classifications""")
    assert len(rows) == len(classes)
    assert max(r[2] for r in rows) >= 2
    for division, class_id, level, path, level_1, level_2 in rows:
        names = chain((division, class_id))
        assert level == len(names)
        assert path == " > ".join(names)
        assert level_1 == names[0]
        assert level_2 == (names[1] if len(names) > 1 else None)


def test_gl_accounts_carry_their_classification(warehouse: Warehouse) -> None:
    """GLAccounts.ReportingCode = the Code of the account's classification; accounts without
    one have no classification columns."""
    codes = {(c["Division"], c["Code"]) for c in warehouse.truth("gl_classifications")}
    accounts = {(a["Division"], a["ID"]): a.get("ReportingCode")
                for a in warehouse.truth("gl_accounts")}
    rows = warehouse.sql("""select a.division, a.gl_account_id, a.gl_classification_code,
        a.classification_path, c.classification_path
        from analytics_marts.dim_gl_accounts a
        left join analytics_marts.dim_gl_classifications c
          on c.division = a.division and c.gl_classification_code = a.reporting_code""")
    assert len(rows) == len(accounts)
    for division, account_id, code, path, class_path in rows:
        reporting_code = accounts[(division, account_id)]
        if reporting_code and (division, reporting_code.strip()) in codes:
            assert (code, path) == (reporting_code.strip(), class_path)
        else:
            assert (code, path) == (None, None)


def test_transaction_lines_fact_is_enriched(warehouse: Warehouse) -> None:
    lines = {(r["Division"], r["ID"]): r for r in warehouse.truth("transaction_lines")}
    rows = warehouse.sql("""select division, transaction_line_id, gl_account_code,
        cost_center_description, cost_unit_description, account_name, amount_dc
        from analytics_marts.fct_transaction_lines""")
    assert len(rows) == len(lines)  # every truth line is a posting with a GL account
    for division, line_id, gl_code, cc_desc, cu_desc, account_name, amount in rows:
        t = lines[(division, line_id)]
        assert gl_code == t["GLAccountCode"].strip()
        assert cc_desc == t["CostCenterDescription"]
        assert cu_desc == t["CostUnitDescription"]
        assert account_name == t["AccountName"]
        assert cents(amount) == cents(t["AmountDC"])
    assert any(r[3] for r in rows)
    assert any(r[5] for r in rows)


def test_purchase_entry_lines_fact_has_the_supplier(warehouse: Warehouse) -> None:
    entries = {(e["Division"], e["EntryID"]): e for e in warehouse.truth("purchase_entries")}
    lines = warehouse.truth("purchase_entry_lines")
    rows = {(d, i): s for d, i, s in warehouse.sql("""select division, purchase_entry_line_id,
        supplier_id from analytics_marts.fct_purchase_entry_lines""")}
    assert len(rows) == len(lines)
    for line in lines:
        entry = entries[(line["Division"], line["EntryID"])]
        assert rows[(line["Division"], line["ID"])] == entry["Supplier"]


# -- marts ------------------------------------------------------------------------------------

def test_trial_balance_equals_truth(warehouse: Warehouse) -> None:
    expected: dict[tuple[int, int, int, str], Any] = defaultdict(int)
    for r in warehouse.truth("transaction_lines"):
        key = (r["Division"], r["FinancialYear"], r["FinancialPeriod"], r["GLAccount"])
        expected[key] += cents(r["AmountDC"])
    actual = {(d, y, p, g): cents(v) for d, y, p, g, v in warehouse.sql(
        """select division, financial_year, financial_period, gl_account_id, net_movement_dc
        from analytics_marts.mart_trial_balance where line_count > 0""")}
    assert actual == dict(expected)
    per_period = warehouse.sql("""select division, financial_year, financial_period,
        sum(net_movement_dc), sum(closing_balance_dc)
        from analytics_marts.mart_trial_balance group by all""")
    assert per_period
    assert all(cents(net) == 0 and cents(closing) == 0 for *_, net, closing in per_period)


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


def test_project_margin_equals_truth(warehouse: Warehouse) -> None:
    cost_price = {(i["Division"], i["ID"]): i["CostPriceStandard"] or 0
                  for i in warehouse.truth("items")}
    revenue: dict[tuple[int, str], Any] = defaultdict(int)
    costs: dict[tuple[int, str], Any] = defaultdict(int)
    for t in warehouse.truth("time_cost_transactions"):
        key = (t["Division"], t["Project"])
        revenue[key] += cents(t["AmountFC"])
        costs[key] += cents(cents(t["Quantity"]) * cents(cost_price[(t["Division"], t["Item"])]))
    rows = warehouse.sql("""select division, project_id, revenue_dc, costs_dc, margin_dc
        from analytics_marts.mart_project_margin""")
    assert len(rows) == len(warehouse.truth("projects"))
    for division, project_id, rev, cost, margin in rows:
        key = (division, project_id)
        assert cents(rev) == revenue.get(key, 0)
        assert abs(cents(cost) - costs.get(key, 0)) <= cents("0.05")
        assert cents(margin) == cents(rev - cost)


# -- history and audit columns ----------------------------------------------------------------

def test_history_keeps_every_version(warehouse: Warehouse) -> None:
    updated = warehouse.changed["accounts"]["update"]
    for account_id in updated:
        versions = warehouse.sql(f"""select exact_timestamp, valid_from, valid_to, is_current
            from hist_history.hist_accounts where account_id = '{account_id}'
            order by exact_timestamp""")
        assert len(versions) == 2, versions
        (_, old_from, old_to, old_current), (_, new_from, new_to, new_current) = versions
        assert old_to == new_from
        assert old_from <= old_to
        assert (old_current, new_current, new_to) == (False, True, None)
    # An unchanged account has one version, current, open-ended.
    other = warehouse.sql(f"""select count(*), bool_and(is_current), max(valid_to)
        from hist_history.hist_accounts where account_id not in
        ({", ".join(f"'{i}'" for i in updated)}) group by account_id limit 1""")
    assert other == [(1, True, None)]
    # Deleted invoice rows: the last version is closed and flagged, never current.
    ids = ", ".join(f"'{i}'" for i in warehouse.changed["sales_invoices"]["delete"])
    deleted = warehouse.sql(f"""select bool_or(is_current), bool_and(is_deleted), count(valid_to)
        from hist_history.hist_sales_invoices where sales_invoice_row_id in ({ids})""")
    assert deleted == [(False, True, len(warehouse.changed["sales_invoices"]["delete"]))]


def test_append_only_load_never_overwrites(warehouse: Warehouse) -> None:
    """Raw history rows: an updated account appears once per version read."""
    for account_id in warehouse.changed["accounts"]["update"]:
        stamps = warehouse.sql(f"""select distinct timestamp from exactonline_history.accounts
            where id = '{account_id}'""")
        assert len(stamps) == 2


@pytest.mark.parametrize("stream", DBT_SOURCE_STREAMS)
def test_history_rows_carry_audit_columns(warehouse: Warehouse, stream: str) -> None:
    """Division, source, record key, extraction time and Exact's Timestamp/Modified (or the
    moment a report was read) on every row of the append-only load."""
    columns = {c for (c,) in warehouse.sql(f"""select column_name from information_schema.columns
        where table_schema = 'exactonline_history' and table_name = '{stream}'""")}
    key = SPECS[stream].key.lower()
    version = next((c for c in ("timestamp", "modified", "snapshottakenat") if c in columns),
                   None)
    rows = warehouse.sql(f"""select count(*),
        count(*) filter (where division is null),
        count(*) filter (where _source is distinct from 'exact_online'),
        count(*) filter (where _record_key is distinct from
                         cast(division as varchar) || ':' || cast({key} as varchar)),
        count(*) filter (where _extracted_at is null or _sdc_extracted_at is null)
        from exactonline_history.{stream}""")
    _total, *problems = rows[0]
    assert problems == [0, 0, 0, 0]
    if version is None:  # entry lines and the RGS mapping carry no Modified of their own
        assert stream in ("purchase_entry_lines", "gl_account_classification_mappings"), stream
    else:
        assert warehouse.sql(f"""select count(*) from exactonline_history.{stream}
            where {version} is null""") == [(0,)]


def test_staging_audit_columns(warehouse: Warehouse) -> None:
    # one version per line (none was updated), plus the tombstones of the deleted lines
    rows = warehouse.sql("""select count(*) filter (where sdc_deleted_at is null),
        count(distinct record_key) filter (where sdc_deleted_at is null),
        count(*) filter (where sdc_deleted_at is not null),
        count(*) filter (where source_system = 'exact_online' and extracted_at is not null),
        count(*)
        from hist_staging.stg_transaction_lines""")
    versions, keys, tombstones, good, total = rows[0]
    assert versions == keys > 0
    assert tombstones >= len(warehouse.changed["transaction_lines"]["delete"]) > 0
    assert good == total


def test_a_row_created_again_after_its_deletion_is_current(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """A deleted transaction line comes back with a newer Timestamp (as a row re-created with
    the same key would): over a copy of the append-only load, which holds the line's versions,
    its tombstone and its `deleted` row, `cur_transaction_lines` lists it again; the lines
    deleted for good stay out."""
    import shutil

    db = tmp_path / "recreated.duckdb"
    shutil.copy(warehouse.db, db)
    deleted = warehouse.changed["transaction_lines"]["delete"]
    back = deleted[0]
    with duckdb.connect(str(db)) as con:
        con.execute("""
            insert into exactonline_history.transaction_lines
            select * replace (
                (select max("timestamp") + 1 from exactonline_history.transaction_lines
                 where id = $id and _sdc_deleted_at is not null) as "timestamp")
            from exactonline_history.transaction_lines
            where id = $id and _sdc_deleted_at is null
            qualify row_number() over (order by "timestamp" desc) = 1""", {"id": back})
    env = {**warehouse.env, "DBT_DUCKDB_PATH": str(db),
           "DBT_DUCKDB_SOURCE_SCHEMA": "exactonline_history", "DBT_DUCKDB_SCHEMA": "again"}
    meltano(["invoke", "dbt-duckdb", "run", "--select",
             "stg_transaction_lines stg_deleted cur_transaction_lines"],
            env, tmp_path / "dbt.log")
    with duckdb.connect(str(db), read_only=True) as con:
        current = {r[0] for r in con.execute(
            "select transaction_line_id from again_current.cur_transaction_lines").fetchall()}
    assert back in current
    assert not set(deleted[1:]) & current


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
