"""Modified-family bookmarks never pass a moment that was not fully read (issue item 1).

Pages of ``Modified ge ...`` endpoints come in key order, not Modified order. A row on an
already-read page that changes while later pages are read has an older ``Modified`` than a
later-page row changed after it; a bookmark at the highest ``Modified`` seen would skip it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.reliability.harness import (
    Ledger,
    catalog_for,
    run_tap,
    tap_executable,
    truth_differences,
)
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.reliability

STREAM = "purchase_invoice_lines"
ENDPOINT = "purchase/PurchaseInvoiceLines"


def _page_keys(sandbox: SandboxProcess, division: int) -> list[list[str]]:
    """The IDs of every page of the endpoint, in the order Exact serves them."""
    token = sandbox.access_token()
    url: str | None = f"{sandbox.url}/api/v1/{division}/{ENDPOINT}?$select=ID,Modified"
    pages = []
    while url:
        body = requests.get(url, headers={"Authorization": f"Bearer {token}",
                                          "Accept": "application/json"}, timeout=60).json()["d"]
        pages.append([row["ID"] for row in body["results"]])
        url = body.get("__next")
    return pages


def test_a_row_changed_on_a_read_page_while_later_pages_load_arrives_next_run(
    start_sandbox, tmp_path: Path, ledger: Ledger
) -> None:
    sandbox = start_sandbox(divisions=1, rows=1000)
    division = requests.get(f"{sandbox.url}/_sandbox/divisions", timeout=30).json()["current"]
    pages = _page_keys(sandbox, division)
    assert len(pages) >= 3, [len(p) for p in pages]
    first, last = pages[0][0], pages[-1][-1]
    config = sandbox.tap_config(divisions=[division], token_store_path=str(tmp_path / "t.fernet"),
                                token_store_key="bookmark test key")
    # Page 1 at once, then a slow page 2: the changes happen while the tap waits for it.
    sandbox.faults({"kind": "stall", "seconds": 0, "count": 1, "path_contains": ENDPOINT})
    sandbox.faults({"kind": "stall", "seconds": 6, "count": 1, "path_contains": ENDPOINT})
    path = f"/api/v1/{division}/{ENDPOINT}"
    work = tmp_path / "first"
    work.mkdir()
    (work / "config.json").write_text(json.dumps(config))
    (work / "catalog.json").write_text(json.dumps(catalog_for({STREAM})))
    proc = subprocess.Popen(
        [tap_executable(), "--config", str(work / "config.json"), "--catalog",
         str(work / "catalog.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work)
    deadline = time.monotonic() + 120
    while sandbox.stats()["calls"].get(path, 0) < 2:  # page 2 asked for: page 1 is read
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sandbox.mutate({"division": division, "stream": STREAM, "action": "update", "ids": [first]})
    time.sleep(1.2)  # a later Modified second: the filter is written in whole seconds
    sandbox.mutate({"division": division, "stream": STREAM, "action": "update", "ids": [last]})
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err[-2000:]
    states = [json.loads(line)["value"] for line in out.splitlines() if '"STATE"' in line]

    second = run_tap(tmp_path / "second", config, streams={STREAM}, state=states[-1])
    assert second.outcome.returncode == 0, second.outcome.stderr[-2000:]
    got = {r["ID"]: r for r in second.records[STREAM]}
    stale = first not in got
    ledger.add("Modified bookmark, rows changed while paging", runs=2, stale_rows=int(stale))
    assert first in got, "the first row's new version never arrived: the bookmark passed it"
    assert not truth_differences(sandbox, [division], STREAM, [got[first], got[last]],
                                 only_these=True)


def test_divisions_read_in_parallel_cap_their_modified_bookmarks(
    start_sandbox, tmp_path: Path, ledger: Ledger
) -> None:
    """With ``parallel_divisions`` the readers hold private STATE copies; the cap must still
    reach the STATE the writer emits: a row changed just before the read stays above the
    bookmark, so the next run reads it again."""
    sandbox = start_sandbox(divisions=2, rows=200)
    divisions = requests.get(f"{sandbox.url}/_sandbox/divisions", timeout=30).json()["accessible"]
    changed = {}
    for division in divisions:
        first = _page_keys(sandbox, division)[0][0]
        sandbox.mutate({"division": division, "stream": STREAM, "action": "update",
                        "ids": [first]})
        changed[division] = first
    config = sandbox.tap_config(divisions=divisions, parallel_divisions=2,
                                token_store_path=str(tmp_path / "t.fernet"),
                                token_store_key="bookmark test key")
    result = run_tap(tmp_path / "run", config, streams={STREAM})
    assert result.outcome.returncode == 0, result.outcome.stderr[-2000:]
    assert "parallel_divisions=2" in result.outcome.stderr
    partitions = {p["context"]["Division"]: p
                  for p in result.state["bookmarks"][STREAM]["partitions"]}
    read = {r["ID"]: r for r in result.records[STREAM]}
    passed = 0
    for division, key in changed.items():
        bookmark = partitions[division]["replication_key_value"]
        passed += _moment(bookmark) >= _moment(read[key]["Modified"])
    ledger.add("Modified bookmark, parallel divisions", runs=1, stale_rows=passed)
    assert not passed, (partitions, {k: read[k]["Modified"] for k in changed.values()})


def _moment(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
