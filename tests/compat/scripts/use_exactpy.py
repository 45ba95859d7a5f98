"""``exactpy`` (PyPI 0.0.24) used as its README shows, against the sandbox.

Shim (documented in docs/sandbox.md): ``OAUTHLIB_INSECURE_TRANSPORT=1`` in the environment,
oauthlib's own switch for a token endpoint on plain HTTP (it is set by the test, not here).
The host is the client's ordinary ``base_url`` argument.
"""

from __future__ import annotations

from _harness import CLIENT_ID, CLIENT_SECRET, REDIRECT, URL, browser_login, done, step
from exactpy.client import Client

client = Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_url=REDIRECT,
                base_url=f"{URL}/api", caching_enabled=False, verbose=False)


def login() -> bool:
    location = browser_login(client.auth_client.get_authorization_url())
    client.auth_client.acquire_token(location)
    return bool(client.auth_client.token_info.get("access_token"))


step("oauth", login)
step("me", lambda: client.system.me.show().current_division)
step("set_division", lambda: client.set_initial_division() or client.division)
step("divisions", lambda: sorted(d.code for d in client.system.divisions.all()))
step("division_by_key", lambda: client.get_current_division().code)
step("filtered", lambda: sorted(
    (g.code, g.description) for g in client.financial.gl_accounts.all(
        filters=[{"key": "code", "val": "1100", "op": "eq"}])))
receivables = step("paged", lambda: [(r.hid__, r.account_id) for page in
                                     client.financial.receivables_lists.all_paged()
                                     for r in page])
# crm/Accounts: the model wants BankAccounts as a bare list (docs/sandbox.md, exactpy defects)
step("accounts_unexpanded", lambda: len(client.crm.accounts.all()))
step("accounts_expanded", lambda: len(client.crm.accounts.all(expand=["BankAccounts"])))
# $select: the partial model still requires the fields left out (docs/sandbox.md)
step("journals_select", lambda: len(client.financial.journals.all(select=["id", "code"])))
gl = step("top", lambda: [(g.id, g.code, g.deductibility_percentages) for g in
                          client.financial.gl_accounts.all(top=3)])
if gl:
    step("by_key", lambda: client.financial.gl_accounts.show(gl[0][0]).id)
done()
