"""End to end: sandbox -> tap -> target-duckdb -> dbt-duckdb, checked against the sandbox truth:
staging and audit columns, current state, history, dimensions and facts, the trial balance's
movements and project margin. The warehouse (an upsert load and an append-only history load,
each built with dbt) is the session fixture ``warehouse`` (tests/warehouses/dbt_warehouse.py);
the finance marts and the reconciliation with Exact's reports are in test_dbt_finance.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_exactonline.streamtable import CATALOG, SPECS
from tests.support.current_models import current_model_problems
from tests.warehouses.dbt_warehouse import DIVISIONS, Warehouse
from tests.warehouses.helpers import DBT_SOURCE_STREAMS, cents, meltano

# Two loads, two dbt builds of the whole project: minutes on a busy 2-core machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]


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
def test_every_current_model_equals_truth(warehouse: Warehouse, schema: str) -> None:
    """Every cur_* model (not only those above) holds exactly the sandbox's current rows, by
    record key, after creates, updates and deletes (sync tombstones, delete detection and
    full-table tombstones), from the upsert load and from the append-only load alike."""
    # employees is opt-in (not loaded); the history pipeline reads what the marts need
    skip = {"employees"} if schema == "analytics_current" else (
        {s.name for s in CATALOG} - set(DBT_SOURCE_STREAMS))
    problems = current_model_problems(warehouse.sql, schema, warehouse.sandbox, DIVISIONS,
                                      skip=skip)
    assert not problems, "\n".join(problems)


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


def assert_gone_from_loads_and_models(warehouse: Warehouse, stream: str, column: str,
                                      models: tuple[str, ...]) -> None:
    """The rows of ``stream`` deleted in the sandbox: gone from the upsert load, a tombstone
    (their last version) in the append-only history, in none of ``models``."""
    deleted = warehouse.changed[stream]["delete"]
    assert deleted
    ids = ", ".join(f"'{i}'" for i in deleted)
    assert warehouse.sql(f"select count(*) from exactonline.{stream} where id in ({ids})"
                         ) == [(0,)]
    assert warehouse.sql(f"select count(distinct id) from exactonline_history.{stream} "
                         f"where id in ({ids}) and _sdc_deleted_at is not null"
                         ) == [(len(deleted),)]
    for model in models:
        assert warehouse.sql(f"select count(*) from {model} where {column} in ({ids})"
                             ) == [(0,)], model


def test_deleted_payment_is_gone_by_delete_detection(warehouse: Warehouse) -> None:
    """A payment (Modified family, no deletion log in Exact) deleted in the sandbox with its
    purchase entry: the delete-detection tombstone removes it from the upsert load, ends it in
    the append-only history (the tombstone is its latest version there: its Modified is the
    deletion moment), and no current-state model holds it."""
    assert_gone_from_loads_and_models(
        warehouse, "payments", "payment_id",
        ("analytics_current.cur_payments", "hist_current.cur_payments"))


def test_deleted_cost_center_is_gone_by_its_full_table_tombstone(warehouse: Warehouse) -> None:
    """A cost center deleted in Exact (full table: no deletion log, and target-duckdb ignores
    ACTIVATE_VERSION) leaves the upsert load through its full-table tombstone, ends in the
    append-only history with the tombstone as its last version, and leaves every model."""
    assert_gone_from_loads_and_models(
        warehouse, "cost_centers", "cost_center_id",
        ("analytics_current.cur_cost_centers", "hist_current.cur_cost_centers",
         "analytics_marts.dim_cost_centers"))


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
