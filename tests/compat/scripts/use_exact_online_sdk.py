"""``exact-online-sdk`` (PyPI 2.0.0) used as its README shows, against the sandbox.

No shim: the host is its ordinary ``base_url`` setting and httpx talks plain HTTP.
"""

from __future__ import annotations

import dataclasses
import secrets
from urllib.parse import parse_qs, urlsplit

from _harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT,
    URL,
    advance_clock,
    browser_login,
    done,
    step,
)
from exact_online_sdk import ExactOnlineClient, Settings
from exact_online_sdk.api.endpoints import (
    AccountsAPI,
    DivisionsAPI,
    GLAccountsAPI,
    MeAPI,
    SyncFinancialTransactionLinesAPI,
    SystemDivisionsAPI,
)
from exact_online_sdk.auth import ExactOnlineAuth, InMemoryTokenStorage

settings = Settings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT,
                    base_url=URL, auth_url=f"{URL}/api/oauth2/auth",
                    token_url=f"{URL}/api/oauth2/token")
storage = InMemoryTokenStorage()
auth = ExactOnlineAuth(settings, storage=storage)


def login() -> bool:
    location = browser_login(auth.get_authorization_url(state=secrets.token_urlsafe(8)))
    code = parse_qs(urlsplit(location).query)["code"][0]
    return bool(auth.exchange_code_for_token(code).access_token)


step("oauth", login)
me = step("me", lambda: MeAPI(ExactOnlineClient(settings, auth=auth)).list()[0].current_division)
client = ExactOnlineClient(dataclasses.replace(settings, division=me), auth=auth)
step("divisions", lambda: sorted(d.code for d in SystemDivisionsAPI(client).list()))
step("hrm_divisions", lambda: sorted(d["Code"] for d in DivisionsAPI(client).list(
    select=["Code", "Description"], raw=True)))
step("filtered", lambda: [(g.code, g.description) for g in GLAccountsAPI(client).list(
    filters={"Code": ("eq", "1100")}, select=["ID", "Code", "Description"])])
accounts = step("paged", lambda: [(a.id, a.code, a.name) for page in
                                  AccountsAPI(client).iter_pages(select=["ID", "Code", "Name"],
                                                                 page_size=None)
                                  for a in page])
step("paged_raw", lambda: [(a["ID"], a["Code"]) for page in AccountsAPI(client).iter_pages(
    select=["ID", "Code"], page_size=None, raw=True) for a in page])
if accounts:
    step("by_key", lambda: str(AccountsAPI(client).get(accounts[0][0]).id))
    step("by_key_raw", lambda: AccountsAPI(client).get(accounts[0][0], raw=True)["ID"])
step("top", lambda: len(AccountsAPI(client).list(select=["ID"], top=5, raw=True)))
step("sync", lambda: [(r["ID"], r["Timestamp"]) for page in
                      SyncFinancialTransactionLinesAPI(client).iter_pages(
                          filters={"Timestamp": ("gt", 1)}, select=["ID", "Timestamp"],
                          page_size=None, raw=True) for r in page])


def refresh() -> bool:
    advance_clock(571)
    before = storage.get_token()
    storage.set_token(dataclasses.replace(before, expires_at=before.expires_at.replace(year=2000)))
    client.get("crm/Accounts", params={"$select": "ID", "$top": 1})
    return storage.get_token().access_token != before.access_token


step("refresh", refresh)
done()
