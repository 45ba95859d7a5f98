"""The sandbox's OAuth 2.0 server and the access-token check on ``/api/v1/...``.

Behaviour follows the fact sheet §2 (Exact Online OAuth), on the same host as the API:

* ``GET /api/oauth2/auth?client_id&redirect_uri&response_type=code&state&force_login``:
  consent is automatic; ``302`` to ``{redirect_uri}?code=...&state=...``. The code contains
  ``!`` (URL-encoded in the redirect, so clients must decode it), is single use and valid
  ``code_seconds`` (Exact: 3 minutes).
* ``POST /api/oauth2/token`` (``application/x-www-form-urlencoded``), grants
  ``authorization_code`` (code, redirect_uri, client_id, client_secret) and ``refresh_token``
  (refresh_token, client_id, client_secret). The client may instead send its id and secret
  as HTTP Basic credentials (RFC 6749 §2.3.1; see :func:`client_credentials`). Success (200)::

      {"access_token": "AAEAA...", "token_type": "bearer", "expires_in": "600",
       "refresh_token": "Gcp7!IAAAA..."}

  ``expires_in`` is a JSON *string*, as on Exact.

Errors (OAuth style ``{"error", "error_description"}``, never the OData envelope):

=====================================  ======  ==============================================
situation                              status  body
=====================================  ======  ==============================================
wrong client id/secret, unknown,       400     ``{"error":"invalid_request"}``
used or expired code, unknown refresh
token, redirect_uri mismatch
rotated (old) refresh token reused     400     ``{"error":"invalid_grant","error_description":
after its successor was redeemed, or           "Old refresh token used."}`` (fact sheet has a
more than ten minutes after it was used       400/401 conflict; we chose 400)
refresh token unused for               400     ``{"error":"invalid_request","error_description":
``refresh_token_days``                         "The refresh token expired at M/D/YYYY h:mm:ss
                                               AM and it is now ..."}`` (real shape, UTC)
refresh sooner than 95 % of the        401     ``{"error":"invalid_request","error_description":
access-token lifetime (570 s of 600)           "Rate limit exceeded: access_token not
after the last access token of this            expired"}``; the refresh token is NOT rotated
app                                            and stays valid
more than ``token_calls_per_day``      400     ``{"error":"invalid_request","error_description":
token calls by the app in a UTC day            "Rate limit exceeded: token requests per day
                                               (N) reached"}``
unknown ``grant_type``                 400     ``{"error":"unsupported_grant_type"}``
=====================================  ======  ==============================================

Rotation grace (fact sheet §2, "Nuance": "refresh tokens are valid for ten minutes when
used ... upon first use [of the new one] ... all previous refresh tokens expire"): a used
refresh token stays redeemable until its successor is first redeemed, for at most ten
minutes. Redeeming it again issues a new successor and voids the previous one. A client
killed after Exact rotated the token but before it stored the answer can therefore still
refresh with the token it stored.

API calls (``/api/v1/...``) without a valid, unexpired access token get ``401`` with, in
turn, an empty body and the HTML "Object moved ... /docs/Login.aspx?ReturnUrl=..." page
(both happen on Exact; fact sheet §2, picqer #428 / #343).
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from exactonline_sandbox._asgi import (
    HTML_CONTENT_TYPE,
    ASGIApp,
    Receive,
    Scope,
    Send,
    send_response,
)
from exactonline_sandbox.clock import SandboxClock
from exactonline_sandbox.oauth_store import Code as _Code
from exactonline_sandbox.oauth_store import OAuthStore
from exactonline_sandbox.oauth_store import RefreshToken as _RefreshToken
from exactonline_sandbox.stats import SandboxStats

#: Fraction of the access-token lifetime before which a refresh is "too early" (570/600).
TOO_EARLY_FRACTION = 0.95
# A used refresh token stays valid this long while its successor is unused (fact sheet §2).
ROTATION_GRACE_SECONDS = 600.0
DAY_SECONDS = 86400.0


@dataclass(frozen=True)
class OAuthOptions:
    """Settings of the sandbox's one registered app and its token lifetimes.

    Attributes:
        client_id: The app's client id (a Guid string on Exact).
        client_secret: The app's client secret.
        refresh_token_seed: If set, a refresh token with exactly this value is valid at start.
        access_token_seconds: Access-token lifetime in seconds (Exact: 600).
        refresh_token_days: Days an unused refresh token stays valid (Exact: 30).
        token_calls_per_day: Token-endpoint calls allowed per app per UTC day (Exact: 200).
        code_seconds: Authorization-code lifetime in seconds (Exact: 180).
    """

    client_id: str
    client_secret: str
    refresh_token_seed: str | None = None
    access_token_seconds: float = 600.0
    refresh_token_days: float = 30.0
    token_calls_per_day: int = 200
    code_seconds: float = 180.0


def _oauth_error(status: int, error: str, description: str | None = None) -> Response:
    body: dict[str, str] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _exact_datetime(epoch: float) -> str:
    """Format like Exact's refresh-token message: ``10/11/2022 9:18:20 PM`` (UTC)."""
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    hour12 = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    return f"{dt.month}/{dt.day}/{dt.year} {hour12}:{dt.minute:02d}:{dt.second:02d} {ampm}"


def client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str]:
    """The (client_id, client_secret) of a token request: form fields or HTTP Basic.

    Exact's documentation and every recorded client send them as form fields (fact sheet §2);
    clients built on requests-oauthlib or httpx send ``Authorization: Basic`` instead, which
    RFC 6749 §2.3.1 obliges an authorization server to accept. The fact sheet is silent on
    whether Exact does; the sandbox accepts both (docs/sandbox.md, "Choices"). Basic
    credentials are form-urlencoded before base64 by the RFC, plain by most clients: both
    decode. When both are present they must agree, else the request has no valid client
    (``("", "")``).
    """
    form_id, form_secret = form.get("client_id", ""), form.get("client_secret", "")
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return form_id, form_secret
    try:
        pair = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    basic_id, sep, basic_secret = pair.partition(":")
    if not sep:
        return "", ""
    raw = (basic_id, basic_secret)
    decoded = (unquote(basic_id), unquote(basic_secret)) if "%" in pair else raw
    if form_id:
        return (form_id, form_secret) if (form_id, form_secret) in (raw, decoded) else ("", "")
    return decoded


def _same_client(a: str, b: str) -> bool:
    return a.strip().strip("{}").lower() == b.strip().strip("{}").lower()


class OAuthServer:
    """Codes, refresh tokens and access tokens of the sandbox's app.

    The state is held in memory and written through to ``store`` (the ``--db`` database, see
    :mod:`.oauth_store`), so a restarted sandbox honours every login, rotation and grant time
    of the previous process. All methods run on the server's event loop; a lock guards the
    state anyway because the control API may be called from worker threads.

    Args:
        options: The app and the token lifetimes.
        clock: The sandbox clock.
        stats: Counters of the control API.
        store: Where the state persists (default: memory only).
    """

    def __init__(self, options: OAuthOptions, clock: SandboxClock, stats: SandboxStats,
                 store: OAuthStore | None = None) -> None:
        self.options = options
        self.clock = clock
        self.stats = stats
        self.store = store or OAuthStore(None)
        self._lock = threading.Lock()
        state = self.store.load()
        self._codes: dict[str, _Code] = state.codes
        self._refresh: dict[str, _RefreshToken] = state.refresh
        self._access: dict[str, tuple[str, float]] = state.access
        self._last_access_issued: dict[str, float] = state.last_access_issued
        self._token_calls: dict[tuple[str, int], int] = state.token_calls
        seed = options.refresh_token_seed
        # A seed the database already knows keeps its place in the chain (used, rotated):
        # restarting with the same --refresh-token must not revive a rotated token.
        if seed and seed not in self._refresh:
            self._refresh[seed] = _RefreshToken(options.client_id, self._refresh_expiry())
            self.store.put_refresh(seed, self._refresh[seed])

    # -- token values ---------------------------------------------------------------------
    def _refresh_expiry(self) -> float:
        return self.clock.now() + self.options.refresh_token_days * DAY_SECONDS

    @staticmethod
    def _new_code() -> str:
        # Standard base64 (with + / =) after a "!": a client must URL-decode the redirect.
        return "XTzM!IAAAA" + base64.b64encode(secrets.token_bytes(48)).decode()

    def new_refresh_token(self, client_id: str | None = None) -> str:
        """Issue and return a fresh valid refresh token for ``client_id`` (default: the app)."""
        token = "Gcp7!IAAAA" + secrets.token_urlsafe(48)
        with self._lock:
            self._refresh[token] = _RefreshToken(
                client_id or self.options.client_id, self._refresh_expiry()
            )
            self.store.put_refresh(token, self._refresh[token])
        return token

    def forget_last_issue(self, client_id: str | None = None) -> None:
        """Let the next refresh of ``client_id`` through the 570-s rule (control API only)."""
        client_id = client_id or self.options.client_id
        with self._lock:
            self._last_access_issued.pop(client_id, None)
            self.store.put_last_issue(client_id, None)

    def _issue(self, client_id: str, predecessor: str | None = None) -> Response:
        now = self.clock.now()
        access = "AAEAA" + secrets.token_urlsafe(96)
        refresh = "Gcp7!IAAAA" + secrets.token_urlsafe(48)
        with self._lock:
            self._access[access] = (client_id, now + self.options.access_token_seconds)
            self._refresh[refresh] = _RefreshToken(
                client_id, self._refresh_expiry(), predecessor=predecessor
            )
            self.store.put_access(access, *self._access[access])
            self.store.put_refresh(refresh, self._refresh[refresh])
            if predecessor is not None:
                self._redeemed(predecessor, refresh, now)
            self._last_access_issued[client_id] = now
            self.store.put_last_issue(client_id, now)
            # Drop expired access tokens now and then so the map stays small.
            if len(self._access) > 1000:
                self._access = {k: v for k, v in self._access.items() if v[1] > now}
                self.store.prune_access(now)
        self.stats.incr("token_grants")
        seconds = self.options.access_token_seconds
        expires_in = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        body = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": expires_in,
            "refresh_token": refresh,
        }
        return Response(orjson.dumps(body), media_type="application/json")

    def authenticate(self, access_token: str) -> str | None:
        """Return the client id behind a valid, unexpired access token, else ``None``."""
        with self._lock:
            entry = self._access.get(access_token)
        if entry is None or entry[1] <= self.clock.now():
            return None
        return entry[0]

    # -- endpoints ------------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        """``GET /api/oauth2/auth``: auto-consent and redirect with a single-use code."""
        params = request.query_params
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if not _same_client(client_id, self.options.client_id):
            return PlainTextResponse("Unknown client_id.", status_code=400)
        if params.get("response_type") != "code":
            return PlainTextResponse("Only response_type=code is supported.", status_code=400)
        if not redirect_uri:
            return PlainTextResponse("redirect_uri is required.", status_code=400)
        code = self._new_code()
        with self._lock:
            self._codes[code] = _Code(
                self.options.client_id, redirect_uri, self.clock.now() + self.options.code_seconds
            )
            self.store.put_code(code, self._codes[code])
        query = {"code": code}
        if "state" in params:
            query["state"] = params["state"]
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(redirect_uri + sep + urlencode(query, quote_via=quote), 302)

    async def token(self, request: Request) -> Response:
        """``POST /api/oauth2/token``: authorization_code and refresh_token grants."""
        self.stats.incr("token_calls")
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client_id, client_secret = client_credentials(form, request.headers.get("authorization"))
        if not _same_client(client_id, self.options.client_id) or not secrets.compare_digest(
            client_secret, self.options.client_secret
        ):
            return _oauth_error(400, "invalid_request")
        client_id = self.options.client_id
        day = int(self.clock.now() // DAY_SECONDS)
        with self._lock:
            calls = self._token_calls.get((client_id, day), 0) + 1
            self._token_calls = {(client_id, day): calls}
            self.store.put_token_calls(client_id, day, calls)
        if calls > self.options.token_calls_per_day:
            return _oauth_error(
                400,
                "invalid_request",
                "Rate limit exceeded: token requests per day "
                f"({self.options.token_calls_per_day}) reached",
            )
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(form, client_id)
        if grant == "refresh_token":
            return self._refresh_grant(form, client_id)
        return _oauth_error(400, "unsupported_grant_type")

    def _code_grant(self, form: dict[str, str], client_id: str) -> Response:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)
            self.store.drop_code(form.get("code", ""))
        if (
            code is None
            or code.expires_at <= self.clock.now()
            or code.redirect_uri != form.get("redirect_uri", "")
            or code.client_id != client_id
        ):
            return _oauth_error(400, "invalid_request")
        return self._issue(client_id)

    def _redeemed(self, token: str, successor: str, now: float) -> None:
        """Record that ``token`` was redeemed for ``successor`` (caller holds the lock).

        Its own predecessor dies now (the successor of that one has been used), and so does a
        successor issued earlier for ``token`` whose answer the client never stored.
        """
        entry = self._refresh[token]
        for other in (entry.predecessor, entry.successor):
            if other is not None and other in self._refresh:
                self._refresh[other].dead = True
                self.store.put_refresh(other, self._refresh[other])
        entry.rotated = True
        entry.used_at = now
        entry.successor = successor
        self.store.put_refresh(token, entry)

    def _superseded(self, entry: _RefreshToken, now: float) -> bool:
        """Whether a used token is past its grace: successor redeemed or window over."""
        if entry.dead:
            return True
        if not entry.rotated:
            return False
        successor = self._refresh.get(entry.successor or "")
        window_over = now - (entry.used_at or now) > ROTATION_GRACE_SECONDS
        return successor is None or successor.rotated or successor.dead or window_over

    def _refresh_grant(self, form: dict[str, str], client_id: str) -> Response:
        token = form.get("refresh_token", "")
        now = self.clock.now()
        with self._lock:
            entry = self._refresh.get(token)
            last = self._last_access_issued.get(client_id)
            superseded = entry is not None and self._superseded(entry, now)
        if entry is None or entry.client_id != client_id:
            return _oauth_error(400, "invalid_request")
        if superseded:
            return _oauth_error(400, "invalid_grant", "Old refresh token used.")
        if entry.expires_at <= now:
            return _oauth_error(
                400,
                "invalid_request",
                f"The refresh token expired at {_exact_datetime(entry.expires_at)} "
                f"and it is now {_exact_datetime(now)}.",
            )
        if last is not None and now - last < TOO_EARLY_FRACTION * self.options.access_token_seconds:
            return _oauth_error(
                401, "invalid_request", "Rate limit exceeded: access_token not expired"
            )
        return self._issue(client_id, predecessor=token)

    def routes(self) -> list[BaseRoute]:
        """The two OAuth endpoints, for mounting before the World's routes."""
        return [
            Route("/api/oauth2/auth", self.authorize, methods=["GET"]),
            Route("/api/oauth2/token", self.token, methods=["POST"]),
        ]

    def describe(self) -> dict[str, Any]:
        """Counts for the control API (no token values)."""
        with self._lock:
            return {
                "active_refresh_tokens": sum(not r.rotated for r in self._refresh.values()),
                "access_tokens": len(self._access),
            }


_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def login_redirect_html(path: str, query: str = "") -> bytes:
    """The HTML "Object moved" body Exact sends with some 401s (fact sheet §8)."""
    target = path + (f"?{query}" if query else "")
    return_url = _ESCAPE.sub(lambda m: m.group(0).lower(), quote(target, safe=""))
    return (
        "<html><head><title>Object moved</title></head><body> <h2>Object moved to "
        f'<a href="/docs/Login.aspx?ReturnUrl={return_url}">here</a>.</h2> </body></html>'
    ).encode()


class AccessTokenMiddleware:
    """ASGI middleware: ``/api/v1/...`` requires ``Authorization: Bearer <valid token>``.

    On success the app's client id is put in ``scope["state"]["client_id"]`` (Starlette's
    ``request.state.client_id``) and ``scope["sandbox.client_id"]``. On failure: 401, the
    body alternating between empty and the HTML login redirect.
    """

    def __init__(self, app: ASGIApp, oauth: OAuthServer) -> None:
        self.app = app
        self.oauth = oauth
        self._rejections = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the bearer token of REST calls; pass everything else through."""
        if scope["type"] != "http" or not scope["path"].startswith("/api/v1/"):
            await self.app(scope, receive, send)
            return
        client_id = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    client_id = self.oauth.authenticate(token.strip())
                break
        if client_id is None:
            self._rejections += 1
            if self._rejections % 2:
                await send_response(send, 401, b"")
            else:
                query = scope.get("query_string", b"").decode("latin-1")
                body = login_redirect_html(scope["path"], query)
                await send_response(send, 401, body, content_type=HTML_CONTENT_TYPE)
            return
        scope.setdefault("state", {})["client_id"] = client_id
        scope["sandbox.client_id"] = client_id
        await self.app(scope, receive, send)
