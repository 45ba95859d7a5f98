"""``python-exact-online`` (PyPI 1.1.0) used as its README shows, against the sandbox.

Shims (documented in docs/sandbox.md): the library has no host setting, its three URLs are
constants of ``exactonline.config`` (start.exactonline.be), so they are pointed at the
sandbox; ``OAUTHLIB_INSECURE_TRANSPORT=1`` (set by the test) lets requests-oauthlib talk to a
plain-HTTP token endpoint on loopback. The library keeps tokens in a file inside its own
package (its constructor reads it); it is removed first, so a run never starts from an earlier
run's token against another sandbox.
"""

from __future__ import annotations

from _harness import CLIENT_ID, CLIENT_SECRET, REDIRECT, URL, browser_login, done, step
from exactonline import config

config.BASE_URL = f"{URL}/api/v1"  # the shim: the host
config.AUTH_URL = f"{URL}/api/oauth2/auth"
config.ACCESS_TOKEN_URL = f"{URL}/api/oauth2/token"

from exactonline.api import ExactOnlineAPI  # noqa: E402 - after the host is set
from exactonline.cachehandler import CacheHandler  # noqa: E402

# The constructor already reads (and refreshes) a cached token: remove an earlier run's first.
CacheHandler().deleteCache(CLIENT_ID)
api = ExactOnlineAPI(CLIENT_ID, CLIENT_SECRET)


def login() -> bool:
    location = browser_login(api.authHandler.getAuthURL(REDIRECT))
    return bool(api.authHandler.retrieveToken(location, redirectUri=REDIRECT))


def listed(result: object) -> list:
    if getattr(result, "hasError", False):
        error = result.error
        raise RuntimeError(f"HTTP {error.http_status}: {error.message}")
    return result.items()


step("oauth", login)
step("me", lambda: api.checkDivision() or api.division)
step("divisions", lambda: sorted(row["Code"] for row in api.get(
    "system/Divisions?$select=Code")[2]["d"]["results"]))
step("filtered", lambda: [(g.Code, g.Description) for g in listed(
    api.glAccounts.filter("Code", "'1100'"))])
entries = step("paged", lambda: [e.EntryID for e in listed(api.salesEntries.list())])
accounts = step("filtered_accounts", lambda: [(a.ID, a.Name) for a in listed(
    api.accounts.list(filter={"City": "Delft"}))])
if accounts:
    step("by_key", lambda: api.accounts.get(accounts[0][0]).ID)
done()
