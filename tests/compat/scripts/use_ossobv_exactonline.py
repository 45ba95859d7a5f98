"""ossobv ``exactonline`` (PyPI 0.4.0) used as its README shows, against the sandbox.

Shim (documented in docs/sandbox.md): the library refuses any URL but ``https://`` on its
token and REST calls (``opt_secure.protocols``); the sandbox is plain HTTP on loopback, so
``http`` is allowed too. The host is an ordinary setting of its storage (``[server]``).
"""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path
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
from exactonline import http as exact_http
from exactonline.api import ExactApi
from exactonline.resource import GET
from exactonline.storage import IniStorage

exact_http.opt_secure.protocols = ("http", "https")  # the shim: plain HTTP on loopback

config = Path(tempfile.mkdtemp()) / "exact.ini"
config.write_text(f"""[server]
auth_url = {URL}/api/oauth2/auth
rest_url = {URL}/api
token_url = {URL}/api/oauth2/token

[application]
base_url = {REDIRECT}
client_id = {CLIENT_ID}
client_secret = {CLIENT_SECRET}
""")
storage = IniStorage(str(config))
api = ExactApi(storage=storage)


def login() -> bool:
    location = browser_login(api.create_auth_request_url())
    code = parse_qs(urlsplit(location).query)["code"][0]
    api.request_token(code)
    return bool(storage.get_access_token())


step("oauth", login)
divisions = step("divisions", lambda: api.get_divisions())
if divisions:
    step("set_division", lambda: api.set_division(divisions[1]) or storage.get_division())
step("filtered", lambda: [(r["Code"], r["Description"]) for r in
                          api.ledgeraccounts.filter(code__in=["1100", "1300", "8000"],
                                                    select="Code,Description")])
accounts = step("paged", lambda: [(r["ID"], r["Code"], r["Name"]) for r in
                                  api.relations.filter(select="ID,Code,Name")])
if accounts:
    step("by_key", lambda: api.relations.get(relation_code=accounts[0][1].strip(),
                                              select="ID,Code,Name")["ID"])
    step("receivables", lambda: [(r["HID"], r["AccountId"], r["DueDate"]) for r in
                                 api.receivables.filter(
                                     relation_id=accounts[0][0],
                                     duedate__lt=datetime.date(2026, 1, 1),
                                     select="HID,AccountId,DueDate")])
step("sync", lambda: [(r["ID"], r["Timestamp"]) for r in api.restv1(GET(
    "sync/Financial/TransactionLines?$select=ID,Timestamp&$filter=Timestamp%20gt%201L"))])


def refresh() -> bool:
    advance_clock(571)  # past Exact's 570-second rule, like a token that has nearly run out
    before = storage.get_access_token()
    storage.set_access_expiry(0)  # the library refreshes when under 30 s are left
    api.relations.filter(select="ID", top=1)
    return storage.get_access_token() != before


step("refresh", refresh)
done()
