"""The sandbox's own reports agree with its ledger; data follows --as-of and each fiscal calendar.

Exact's ReportingBalance, opening balances, open-item and aging lists are computed from the
transaction lines (exactonline_sandbox/reports.py); here they are recomputed from
``/_sandbox/truth/.../transaction_lines`` in Python and compared, over HTTP, before and after
changes to the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.sandbox.data_support import DIV, DIV2, Client, own_sandbox
from tests.support.sandbox import SandboxProcess

AS_OF = dt.date(2025, 5, 12)


def cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(int(value[6:-2]) / 1000, tz=dt.timezone.utc).date()


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    yield from own_sandbox(tmp_path_factory, seed=3, divisions=2, rows=1500,
                           as_of=AS_OF.isoformat())


@pytest.fixture(scope="module")
def client(sb: SandboxProcess) -> Client:
    return Client(sb)


def gl_types(sb: SandboxProcess, division: int) -> dict[str, dict[str, Any]]:
    return {g["ID"]: g for g in sb.truth(division, "gl_accounts")}


def ledger_open_items(sb: SandboxProcess, division: int) -> dict[tuple[str, str, int], Decimal]:
    """(kind, account, invoice) -> open amount (positive = owed), from the transaction lines."""
    types = {i: g["Type"] for i, g in gl_types(sb, division).items()}
    totals: dict[tuple[str, str, int], Decimal] = defaultdict(Decimal)
    for line in sb.truth(division, "transaction_lines"):
        kind = {20: "R", 22: "P"}.get(types[line["GLAccount"]])
        if kind:
            sign = 1 if kind == "R" else -1
            totals[(kind, line["Account"], line["InvoiceNumber"])] += sign * cents(line["AmountFC"])
    return {k: v for k, v in totals.items() if v}


@pytest.mark.parametrize("division", [DIV, DIV2])
def test_reporting_balance_equals_the_transaction_lines(client: Client, division: int) -> None:
    expected: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [Decimal(0)] * 3 + [0])
    for line in client.sandbox.truth(division, "transaction_lines"):
        key = (line["FinancialYear"], line["FinancialPeriod"], line["GLAccount"],
               line["CostCenter"], line["CostUnit"], line["Type"], line["Status"])
        amount = cents(line["AmountDC"])
        row = expected[key]
        row[0] += amount
        row[1] += max(amount, Decimal(0))
        row[2] += max(-amount, Decimal(0))
        row[3] += 1
    rows, pages = client.all_pages(f"/api/v1/{division}/financial/ReportingBalance")
    assert pages > 1  # paged by ID with Int64 skiptokens (...L)
    actual = {(r["ReportingYear"], r["ReportingPeriod"], r["GLAccount"], r["CostCenterCode"],
               r["CostUnitCode"], r["Type"], r["Status"]):
              [cents(r["Amount"]), cents(r["AmountDebit"]), cents(r["AmountCredit"]), r["Count"]]
              for r in rows}
    assert actual == dict(expected)
    assert len({r["ID"] for r in rows}) == len(rows)


@pytest.mark.parametrize("division", [DIV, DIV2])
def test_open_item_and_aging_lists_equal_the_ledger(client: Client, division: int) -> None:
    sb = client.sandbox
    expected = ledger_open_items(sb, division)
    listed: dict[tuple[str, str, int], Decimal] = {}
    for kind, stream in (("R", "receivables_list"), ("P", "payables_list")):
        for row in sb.truth(division, stream):
            listed[(kind, row["AccountId"], row["InvoiceNumber"])] = cents(row["Amount"])
    assert listed == expected
    assert any(k[0] == "R" for k in listed)
    assert any(k[0] == "P" for k in listed)
    # aging: per account, the open amounts by days past due on the as-of date
    due = {(r["AccountId"], r["InvoiceNumber"]): day(r["DueDate"])
           for stream in ("receivables_list", "payables_list") for r in sb.truth(division, stream)}
    buckets: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for (kind, account, invoice), amount in expected.items():
        when = due[(account, invoice)]
        overdue = (AS_OF - when).days if when else 0
        buckets[(kind, account)][sum(overdue > limit for limit in (30, 60, 90))] += amount
    aged = {}
    for kind, stream in (("R", "aging_receivables_list"), ("P", "aging_payables_list")):
        for row in sb.truth(division, stream):
            aged[(kind, row["AccountId"])] = [cents(row[f"AgeGroup{g}Amount"]) for g in range(1, 5)]
            assert cents(row["TotalAmount"]) == sum(aged[(kind, row["AccountId"])])
    assert aged == dict(buckets)
    # the payment terms' status follows from the same matching
    open_terms = {(t["Account"], t["InvoiceNumber"]) for t in sb.truth(division, "payment_terms")
                  if t["Status"] == 20}
    assert open_terms == {(a, i) for _k, a, i in expected}


@pytest.mark.parametrize("division", [DIV, DIV2])
def test_opening_balances_carry_the_result_to_retained_earnings(sb: SandboxProcess,
                                                                 division: int) -> None:
    accounts = gl_types(sb, division)
    retained = min((g for g in accounts.values() if g["Type"] == 52), key=lambda g: g["Code"])
    lines = sb.truth(division, "transaction_lines")
    for stream in ("opening_balances_current_year", "opening_balances_previous_year"):
        rows = sb.truth(division, stream)
        assert rows, stream
        year = rows[0]["ReportingYear"]
        expected: dict[str, Decimal] = defaultdict(Decimal)
        for line in lines:
            if line["FinancialYear"] < year:
                target = line["GLAccount"]
                if accounts[target]["BalanceType"] == "W":
                    target = retained["ID"]
                expected[target] += cents(line["AmountDC"])
        assert {r["GLAccount"]: cents(r["Amount"]) for r in rows} == {
            k: v for k, v in expected.items() if v}
        assert sum(cents(r["Amount"]) for r in rows) == 0
        assert {r["ReportingYear"] for r in rows} == {year}
    current = sb.truth(division, "opening_balances_current_year")[0]["ReportingYear"]
    previous = sb.truth(division, "opening_balances_previous_year")[0]["ReportingYear"]
    assert previous == current - 1


def test_data_ends_at_the_as_of_date_and_the_second_division_starts_its_year_in_april(
        sb: SandboxProcess) -> None:
    for division, start_month in ((DIV, 1), (DIV2, 4)):
        lines = sb.truth(division, "transaction_lines")
        dates = [day(r["Date"]) for r in lines]
        assert max(dates) <= AS_OF
        assert min(dates) >= dt.date(AS_OF.year - 2, 1, 1)
        periods = {(p["FinYear"], p["FinPeriod"]): (day(p["StartDate"]), day(p["EndDate"]))
                   for p in sb.truth(division, "financial_periods")}
        assert all(start.month == start_month for (_y, number), (start, _e) in periods.items()
                   if number == 1)
        for line in lines:  # every line lies in its financial period
            start, end = periods[(line["FinancialYear"], line["FinancialPeriod"])]
            assert start <= day(line["Date"]) <= end
        # the current financial year is the one holding the as-of date
        year = sb.truth(division, "opening_balances_current_year")[0]["ReportingYear"]
        start, _ = periods[(year, 1)]
        _, end = periods[(year, 12)]
        assert start <= AS_OF <= end
    april = [r for r in sb.truth(DIV2, "transaction_lines") if day(r["Date"]).month == 4]
    assert april
    assert {(r["FinancialPeriod"], r["FinancialYear"] == day(r["Date"]).year) for r in april} == {
        (1, True)}


def test_foreign_suppliers_invoice_in_their_currency_at_the_months_rate(sb: SandboxProcess) -> None:
    rates = {(r["SourceCurrency"], day(r["StartDate"]).replace(day=1)): Decimal(str(r["Rate"]))
             for r in sb.truth(DIV, "exchange_rates")}
    assert {c for c, _ in rates} == {"USD", "GBP"}
    lines = [r for r in sb.truth(DIV, "transaction_lines")
             if r["Currency"] != "EUR" and r["Type"] == 30 and r["LineNumber"] > 0]
    assert lines
    for line in lines:
        rate = Decimal(str(line["ExchangeRate"]))
        assert rate in set(rates.values())
        assert abs(cents(line["AmountFC"]) * rate - cents(line["AmountDC"])) <= Decimal("0.01")


def test_budgets_per_profit_and_loss_account_and_period(sb: SandboxProcess) -> None:
    budgets = sb.truth(DIV, "budgets")
    accounts = gl_types(sb, DIV)
    assert budgets
    assert {accounts[b["GLAccount"]]["BalanceType"] for b in budgets} == {"W"}
    per_year = Counter((b["BudgetScenarioCode"], b["ReportingYear"]) for b in budgets)
    assert all(code == f"B{year}" for code, year in per_year)
    assert {n % 12 for n in per_year.values()} == {0}  # 12 periods per account and year
    revenue = [b for b in budgets if accounts[b["GLAccount"]]["Code"].startswith("80")]
    assert revenue
    assert all(b["AmountDC"] <= 0 for b in revenue)  # in the sign of the postings


def test_reports_follow_changes_to_the_ledger(client: Client) -> None:
    sb = client.sandbox
    before = {t["ID"]: t for t in sb.truth(DIV, "payment_terms")}
    numbers = {r["InvoiceNumber"] for r in sb.truth(DIV, "transaction_lines")}
    created = client.mutate({"division": DIV, "stream": "sales_entries", "action": "create",
                             "count": 2})
    entries = {c["ID"] for c in created}
    assert len(entries) == 2  # two entries, two IDs
    terms = [t for t in sb.truth(DIV, "payment_terms") if t["ID"] not in before]
    assert {t["EntryID"] for t in terms} == entries
    new_numbers = {t["InvoiceNumber"] for t in terms}
    assert len(new_numbers) == 2
    assert not new_numbers & numbers  # invoice numbers are never given out twice
    assert ledger_open_items(sb, DIV) == {
        ("R", r["AccountId"], r["InvoiceNumber"]): cents(r["Amount"])
        for r in sb.truth(DIV, "receivables_list")} | {
        ("P", r["AccountId"], r["InvoiceNumber"]): cents(r["Amount"])
        for r in sb.truth(DIV, "payables_list")}
    # deleting a bank statement reopens what it settled: the terms' Status and Timestamp change
    paid = {t["ID"]: t for t in sb.truth(DIV, "payment_terms") if t["Status"] == 50}
    settling = next(r for r in sb.truth(DIV, "transaction_lines")
                    if r["Type"] == 40 and r["InvoiceNumber"] and r["LineNumber"] > 0)
    client.mutate({"division": DIV, "stream": "bank_entries", "action": "delete",
                   "ids": [settling["EntryID"]]})
    after = {t["ID"]: t for t in sb.truth(DIV, "payment_terms")}
    reopened = [i for i, t in paid.items() if after[i]["Status"] == 20]
    assert reopened
    assert all(after[i]["Timestamp"] > paid[i]["Timestamp"] for i in reopened)
    rows, _ = client.all_pages(f"/api/v1/{DIV}/financial/ReportingBalance")
    totals: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for line in sb.truth(DIV, "transaction_lines"):
        totals[(line["FinancialYear"], line["FinancialPeriod"], line["GLAccount"])] += cents(
            line["AmountDC"])
    reported: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for r in rows:
        reported[(r["ReportingYear"], r["ReportingPeriod"], r["GLAccount"])] += cents(r["Amount"])
    assert {k: v for k, v in reported.items() if v} == {k: v for k, v in totals.items() if v}


def reporting_balance(client: Client, division: int) -> dict[tuple[Any, ...], dict[str, Any]]:
    rows, _ = client.all_pages(f"/api/v1/{division}/financial/ReportingBalance")
    return {(r["ReportingYear"], r["ReportingPeriod"], r["GLAccount"], r["CostCenterCode"],
             r["CostUnitCode"], r["Type"], r["Status"]): r for r in rows}


def test_reporting_balance_groups_keep_their_id_when_the_ledger_changes(client: Client) -> None:
    before = reporting_balance(client, DIV2)
    # a deleted bank statement changes the groups of its period; new entries make new groups
    statement = next(r for r in client.sandbox.truth(DIV2, "transaction_lines")
                     if r["Type"] == 40 and r["InvoiceNumber"] and r["LineNumber"] > 0)
    client.mutate({"division": DIV2, "stream": "bank_entries", "action": "delete",
                   "ids": [statement["EntryID"]]})
    client.mutate({"division": DIV2, "stream": "sales_entries", "action": "create", "count": 3})
    after = reporting_balance(client, DIV2)
    kept = before.keys() & after.keys()
    changed = [k for k in kept if cents(after[k]["Amount"]) != cents(before[k]["Amount"])]
    assert changed
    assert after.keys() - before.keys()
    assert len(kept) > len(changed) > 0
    assert {k: after[k]["ID"] for k in kept} == {k: before[k]["ID"] for k in kept}
    assert len({r["ID"] for r in after.values()}) == len(after)
    new_ids = {after[k]["ID"] for k in after.keys() - before.keys()}
    assert not new_ids & {r["ID"] for r in before.values()}  # a new group gets a new ID


def test_same_seed_and_as_of_give_the_same_data(tmp_path_factory: pytest.TempPathFactory,
                                                 sb: SandboxProcess) -> None:
    """Deterministic for a seed and as-of date; another as-of date moves the data."""
    streams = ("transaction_lines", "budgets", "quotations")
    for twin in own_sandbox(tmp_path_factory, seed=3, divisions=2, rows=1500,
                            as_of=AS_OF.isoformat()):
        for stream in streams:
            mine = [r for r in sb.truth(DIV, stream)]
            theirs = twin.truth(DIV, stream)
            if stream == "transaction_lines":  # sb's ledger changed above: compare untouched rows
                ids = {r["ID"] for r in theirs}
                mine = [r for r in mine if r["ID"] in ids]
                assert len(mine) > len(theirs) * 0.9
                theirs = [r for r in theirs if r["ID"] in {m["ID"] for m in mine}]
            strip = ("__metadata",)
            assert [{k: v for k, v in r.items() if k not in strip} for r in theirs] == [
                {k: v for k, v in r.items() if k not in strip} for r in mine], stream
    later = dt.date(AS_OF.year + 1, 2, 28)
    for other in own_sandbox(tmp_path_factory, seed=3, divisions=1, rows=300,
                             as_of=later.isoformat()):
        dates = [day(r["Date"]) for r in other.truth(DIV, "transaction_lines")]
        assert max(dates) <= later
        assert min(dates) >= dt.date(later.year - 2, 1, 1)
        assert max(dates) > AS_OF
