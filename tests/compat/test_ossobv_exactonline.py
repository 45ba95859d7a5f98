"""ossobv ``exactonline`` 0.4.0 against the sandbox: every ordinary call works.

Shim: ``exactonline.http.opt_secure.protocols`` allows ``http`` (plain HTTP on loopback).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.compat.conftest import Run, library_run

pytestmark = pytest.mark.compat
DIV = 3100001


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    yield from library_run("ossobv-exactonline", tmp_path_factory)


def test_oauth_code_grant(run: Run) -> None:
    assert run.value("oauth") is True


def test_current_me_and_divisions(run: Run) -> None:
    """get_divisions(): /current/Me's CurrentDivision, then hrm/Divisions."""
    choices, current = run.value("divisions")
    system = run.direct.ok(f"/api/v1/{DIV}/system/Divisions", {"$select": "Code,Description"})
    assert current == DIV
    assert choices == {str(r["Code"]): r["Description"] for r in system["d"]["results"]}
    assert run.value("set_division") == DIV


def test_filtered_collection(run: Run) -> None:
    codes = "Code eq '1100' or Code eq '1300' or Code eq '8000'"
    truth = run.direct.ok(f"/api/v1/{DIV}/financial/GLAccounts",
                          {"$filter": codes, "$select": "Code,Description"})["d"]["results"]
    assert sorted(map(tuple, run.value("filtered"))) == sorted(
        (r["Code"], r["Description"]) for r in truth)


def test_paged_collection_follows_next(run: Run) -> None:
    truth, pages = run.direct.all_pages(f"/api/v1/{DIV}/crm/Accounts",
                                        {"$select": "ID,Code,Name"})
    assert pages > 1
    assert sorted(map(tuple, run.value("paged"))) == sorted(
        (r["ID"], r["Code"], r["Name"]) for r in truth)


def test_single_entity_by_key(run: Run) -> None:
    """Manager.get(): $filter on the 18-character Code with $top=2 (the {"d": [...]} form)."""
    assert run.value("by_key") == run.value("paged")[0][0]


def test_read_receivables_list(run: Run) -> None:
    account = run.value("paged")[0][0]
    truth, _ = run.direct.all_pages(
        f"/api/v1/{DIV}/read/financial/ReceivablesList",
        {"$filter": f"AccountId eq guid'{account}' and DueDate lt datetime'2026-01-01'",
         "$select": "HID,AccountId,DueDate"})
    assert sorted(map(tuple, run.value("receivables"))) == sorted(
        (r["HID"], r["AccountId"], r["DueDate"]) for r in truth)


def test_sync_endpoint_through_restv1(run: Run) -> None:
    truth, pages = run.direct.all_pages(f"/api/v1/{DIV}/sync/Financial/TransactionLines",
                                        {"$select": "ID,Timestamp",
                                         "$filter": "Timestamp gt 1L"})
    assert pages > 1
    assert [tuple(r) for r in run.value("sync")] == [(r["ID"], r["Timestamp"]) for r in truth]


def test_token_refresh(run: Run) -> None:
    """Autorefresh: under 30 s left (and past Exact's 570-s rule) -> a refresh, the call works."""
    assert run.value("refresh") is True
