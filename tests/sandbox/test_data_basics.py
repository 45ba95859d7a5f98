"""Sandbox data: Me, divisions, sync paging, truth (over HTTP, `exactonline sandbox serve`)."""

from __future__ import annotations

import requests

from tests.support.sandbox import SandboxProcess

JSON = {"Accept": "application/json"}


def get(sandbox: SandboxProcess, path: str, **params: object) -> requests.Response:
    token = sandbox_token(sandbox)
    return requests.get(f"{sandbox.url}{path}", params=params or None,
                        headers={**JSON, "Authorization": f"Bearer {token}"}, timeout=60)


_TOKENS: dict[str, str] = {}


def sandbox_token(sandbox: SandboxProcess) -> str:
    """An access token from the sandbox's refresh-token grant (once per sandbox)."""
    if sandbox.url not in _TOKENS:
        resp = requests.post(f"{sandbox.url}/api/oauth2/token", data={
            "grant_type": "refresh_token", "refresh_token": sandbox.options["refresh_token"],
            "client_id": sandbox.options["client_id"],
            "client_secret": sandbox.options["client_secret"]}, timeout=30)
        resp.raise_for_status()
        _TOKENS[sandbox.url] = resp.json()["access_token"]
    return _TOKENS[sandbox.url]


def test_me_names_the_current_division(sandbox: SandboxProcess) -> None:
    resp = get(sandbox, "/api/v1/current/Me", **{"$select": "CurrentDivision"})
    assert resp.status_code == 200
    rows = resp.json()["d"]["results"]
    assert len(rows) == 1
    assert rows[0]["CurrentDivision"] == 3100001
    assert set(rows[0]) == {"__metadata", "CurrentDivision"}
    divisions = requests.get(f"{sandbox.url}/_sandbox/divisions", timeout=10).json()
    assert divisions == {"accessible": [3100001, 3100018], "current": 3100001,
                         "inaccessible": [3999999]}


def test_inaccessible_division_is_403_with_reason(sandbox: SandboxProcess) -> None:
    resp = get(sandbox, "/api/v1/3999999/system/Divisions")
    assert resp.status_code == 403
    assert resp.headers["Reason"] == "NoDivisionAccess"
    assert resp.json()["error"]["message"]["value"] == "Forbidden - WrongDivision"


def test_sync_pages_cover_the_truth_in_timestamp_order(sandbox: SandboxProcess) -> None:
    truth = sandbox.truth(3100001, "transaction_lines")
    assert len(truth) == 2000
    seen: list[dict] = []
    url = f"{sandbox.url}/api/v1/3100001/sync/Financial/TransactionLines"
    params: dict | None = {"$filter": "Timestamp gt 1L", "$select": "ID,Timestamp,AmountDC,EntryID"}
    pages = 0
    while url:
        resp = requests.get(url, params=params, timeout=60, headers={
            **JSON, "Authorization": f"Bearer {sandbox_token(sandbox)}"})
        assert resp.status_code == 200, resp.text
        data = resp.json()["d"]
        seen += data["results"]
        url, params = data.get("__next"), None
        pages += 1
        if url:
            assert "$select=ID,Timestamp,AmountDC,EntryID" in requests.utils.unquote(url)
            assert "$skiptoken=" in url
    assert pages == 2
    assert [r["ID"] for r in seen] == [r["ID"] for r in truth]
    stamps = [r["Timestamp"] for r in seen]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    assert set(seen[0]) == {"__metadata", "ID", "Timestamp", "AmountDC", "EntryID"}
    # Every entry balances.
    totals: dict[str, float] = {}
    for row in seen:
        totals[row["EntryID"]] = totals.get(row["EntryID"], 0.0) + row["AmountDC"]
    assert all(abs(v) < 0.005 for v in totals.values())
