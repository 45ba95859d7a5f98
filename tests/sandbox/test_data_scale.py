"""Sandbox data generated in parallel parts (from 50,000 rows up) is whole and consistent."""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.sandbox.data_support import DIV, Client, own_sandbox


def test_parallel_built_ledger_is_complete_and_balanced(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    for sb in own_sandbox(tmp_path_factory, seed=21, divisions=1, rows=60_000):
        lines = sb.truth(DIV, "transaction_lines")
        assert len(lines) == 60_000
        assert len({r["ID"] for r in lines}) == 60_000
        stamps = [r["Timestamp"] for r in lines]
        assert stamps == sorted(set(stamps))
        totals: dict[str, float] = defaultdict(float)
        for row in lines:
            totals[row["EntryID"]] += row["AmountDC"]
        assert all(abs(v) < 0.005 for v in totals.values())
        modified = [int(r["Modified"][6:-2]) for r in lines]
        assert modified == sorted(modified)  # rowversions follow Modified
        client = Client(sb)
        rows, pages = client.all_pages(f"/api/v1/{DIV}/sync/Financial/TransactionLines",
                                       {"$select": "ID", "$filter": "Timestamp gt 1L"})
        assert pages == 60
        assert [r["ID"] for r in rows] == [r["ID"] for r in lines]
        created = client.mutate({"division": DIV, "stream": "transaction_lines",
                                 "action": "create", "count": 1})
        assert created[0]["Timestamp"] > stamps[-1]


def test_db_file_is_reused_by_the_next_start(tmp_path_factory: pytest.TempPathFactory) -> None:
    db = tmp_path_factory.mktemp("db") / "exact.sqlite"
    for sb in own_sandbox(tmp_path_factory, seed=4, divisions=1, rows=500, db=str(db)):
        Client(sb).mutate({"division": DIV, "stream": "accounts", "action": "update",
                           "count": 1})
        first = [{k: v for k, v in r.items() if k not in ("__metadata", "BankAccounts")}
                 for r in sb.truth(DIV, "accounts")]
    assert db.exists()
    assert not list(db.parent.glob("*.part-*"))
    for sb in own_sandbox(tmp_path_factory, seed=4, divisions=1, rows=500, db=str(db)):
        again = [{k: v for k, v in r.items() if k not in ("__metadata", "BankAccounts")}
                 for r in sb.truth(DIV, "accounts")]
        assert again == first  # the same file, with its mutation
