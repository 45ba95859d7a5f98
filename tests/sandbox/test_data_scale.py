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
