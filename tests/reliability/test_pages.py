"""Pages that cannot be records never become records (issue items 5, 6 and the ``__next`` loop
of item 8).

A page is converted and checked whole before any of its rows is emitted: ``d.results`` that is
not a list, a row without its key, a Timestamp that is not an integer, a date that is no date.
Such a page is retried like an unreadable body; it never reaches a record or STATE. Exact's
"no date", DateTime.MinValue, becomes null with one WARNING per stream.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.reliability.harness import (
    Ledger,
    TapRun,
    one_line_error,
    run_tap,
    truth_differences,
)
from tests.support.oracle import expected_records
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.reliability
MIN_VALUE = "/Date(-62135596800000)/"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory):
    proc = SandboxProcess(seed=13, divisions=1, rows=150, no_limits=True)
    proc.start(log_dir=tmp_path_factory.mktemp("pages"))
    yield proc
    proc.stop()


def _division(box: SandboxProcess) -> int:
    return int(requests.get(f"{box.url}/_sandbox/divisions", timeout=30).json()["current"])


def _run(box: SandboxProcess, tmp_path: Path, stream: str, endpoint: str, rewrite: dict,
         count: int = 1) -> TapRun:
    box.faults({"clear": True})
    box.faults({"kind": "rewrite", "count": count, "path_contains": endpoint,
                "rewrite": rewrite})
    config = box.tap_config(divisions=[_division(box)], token_store_path=str(
        tmp_path / "t.fernet"), token_store_key="pages test key")
    return run_tap(tmp_path / "run", config, streams={stream})


CASES = {
    "results null": ({"json": {"d": {"results": None}}}, "d.results"),
    "row without its key": ({"row": 0, "set": {"ID": None}}, "field ID"),
    "Timestamp not an integer": ({"row": 0, "set": {"Timestamp": "12a"}}, "field Timestamp"),
    "date that is no date": ({"row": 0, "set": {"Modified": "/Date(abc)/"}}, "field Modified"),
    "date out of range": ({"row": 0, "set": {"Modified": "/Date(99999999999999999)/"}},
                          "field Modified"),
}


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=[pytest.mark.slow] if c == "date out of range" else []) for c in CASES])
def test_a_malformed_page_is_retried_and_never_emitted(box, tmp_path: Path, ledger: Ledger,
                                                       case: str) -> None:
    """Once malformed, then right: the retry reads the page; the records equal the truth and
    nothing of the bad page was emitted."""
    rewrite, _ = CASES[case]
    result = _run(box, tmp_path, "gl_accounts", "sync/Financial/GLAccounts", rewrite)
    want = expected_records(box, _division(box), "gl_accounts")
    got = result.records["gl_accounts"]
    bad = len(got) - len(want)
    ledger.add("malformed page, then a good one", runs=1, rows_doubled=max(bad, 0),
               rows_lost=max(-bad, 0), tracebacks=int(result.outcome.traceback))
    assert result.outcome.returncode == 0, result.outcome.stderr[-2000:]
    assert not truth_differences(box, [_division(box)], "gl_accounts", got)
    assert "a row Exact sent cannot be a record" in result.outcome.stderr or \
        "unreadable response body" in result.outcome.stderr


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_page_that_stays_malformed_fails_the_stream_with_one_line(
    box, tmp_path: Path, ledger: Ledger, case: str
) -> None:
    rewrite, names = CASES[case]
    result = _run(box, tmp_path, "gl_accounts", "sync/Financial/GLAccounts", rewrite, count=50)
    ledger.add("malformed page every time", runs=1, tracebacks=int(result.outcome.traceback))
    line = one_line_error(result.outcome)
    assert f"gl_accounts: division {_division(box)}" in line
    assert names in line
    assert not result.records.get("gl_accounts")
    assert not result.state.get("bookmarks", {}).get("gl_accounts")  # never reaches STATE


def test_min_value_dates_become_null_with_one_warning(box, tmp_path: Path,
                                                      ledger: Ledger) -> None:
    result = _run(box, tmp_path, "sales_invoices", "sync/SalesInvoice/SalesInvoices",
                  {"row": 0, "set": {"DueDate": MIN_VALUE, "OrderDate": MIN_VALUE}})
    ledger.add("DateTime.MinValue dates", runs=1, tracebacks=int(result.outcome.traceback))
    assert result.outcome.returncode == 0, result.outcome.stderr[-2000:]
    got = result.records["sales_invoices"]
    assert sum(1 for r in got if r["DueDate"] is None and r["OrderDate"] is None) >= 1
    warnings = [line for line in result.outcome.stderr.splitlines() if "MinValue" in line]
    assert len(warnings) == 1, warnings
    assert "2 dates" in warnings[0]
    assert "DueDate 1" in warnings[0]
    assert "OrderDate 1" in warnings[0]


def test_a_next_link_to_itself_stops_with_one_line(box, tmp_path: Path, ledger: Ledger) -> None:
    result = _run(box, tmp_path, "gl_accounts", "sync/Financial/GLAccounts",
                  {"next_self": True}, count=5)
    ledger.add("__next looping to itself", runs=1, tracebacks=int(result.outcome.traceback))
    line = one_line_error(result.outcome)
    assert "__next link points back to a page already read" in line
    want = expected_records(box, _division(box), "gl_accounts")
    assert len(result.records["gl_accounts"]) == len(want)  # the page once, not twice


@pytest.mark.parametrize("kind", ["truncate", pytest.param("reset", marks=pytest.mark.slow)])
def test_a_lookup_whose_answer_breaks_off_is_retried(box, tmp_path: Path, ledger: Ledger,
                                                     kind: str) -> None:
    """system/Divisions (read before a sync stream for DivisionMoveDate) breaks off once."""
    box.faults({"clear": True})
    box.faults({"kind": kind, "count": 1, "path_contains": "system/Divisions"})
    config = box.tap_config(divisions=[_division(box)], token_store_path=str(
        tmp_path / "t.fernet"), token_store_key="pages test key")
    result = run_tap(tmp_path / "run", config, streams={"gl_classifications"})
    ledger.add("a lookup's answer breaks off once", runs=1,
               tracebacks=int(result.outcome.traceback))
    assert result.outcome.returncode == 0, result.outcome.stderr[-2000:]
    assert not truth_differences(box, [_division(box)], "gl_classifications",
                                 result.records["gl_classifications"])


def test_a_malformed_page_in_divisions_read_in_parallel_is_never_emitted(
    start_sandbox, tmp_path: Path, ledger: Ledger
) -> None:
    """``parallel_divisions``: readers check pages the same way; one bad page of one division
    is retried, and every division's records equal the truth."""
    sandbox = start_sandbox(divisions=2, rows=60)
    divisions = requests.get(f"{sandbox.url}/_sandbox/divisions", timeout=30).json()["accessible"]
    sandbox.faults({"kind": "rewrite", "count": 1,
                    "path_contains": f"{divisions[1]}/sync/Financial/GLAccounts",
                    "rewrite": {"row": 0, "set": {"ID": None}}})
    config = sandbox.tap_config(divisions=divisions, parallel_divisions=2,
                                token_store_path=str(tmp_path / "t.fernet"),
                                token_store_key="pages test key")
    result = run_tap(tmp_path / "run", config, streams={"gl_accounts"})
    assert result.outcome.returncode == 0, result.outcome.stderr[-2000:]
    assert "parallel_divisions=2" in result.outcome.stderr
    want = [r for d in divisions for r in expected_records(sandbox, d, "gl_accounts")]
    got = result.records["gl_accounts"]
    bad = len(got) - len(want)
    ledger.add("malformed page, then a good one", runs=1, rows_doubled=max(bad, 0),
               rows_lost=max(-bad, 0), tracebacks=int(result.outcome.traceback))
    assert not truth_differences(sandbox, divisions, "gl_accounts", got)
    assert f"gl_accounts: division {divisions[1]}: a row Exact sent cannot be a record" in \
        result.outcome.stderr
