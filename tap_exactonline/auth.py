"""Exact Online OAuth for the tap: reuse the shared access token, refresh it safely.

Facts this module follows (fact sheet §2):

* Access tokens live 600 s (``expires_in``, a JSON *string*); a new one may be asked for only
  570 s after the previous one arrived, otherwise the token endpoint answers 401 "Rate limit
  exceeded: access_token not expired". We refresh about 30 s before expiry and never sooner
  than 95% of the lifetime (570 s of 600 s) after issue; a run that finds a token with time
  left uses it without a token call.
* Every refresh rotates the refresh token and the old one is rejected (400 or 401, sources
  disagree), so read-refresh-write runs under the store's inter-process lock and the new
  tokens are persisted before the access token is used (:mod:`tap_exactonline.tokenstore`).
* Refresh tokens die after 30 days unused: a WARNING is logged once one is older than 25 days;
  when Exact rejects it, :class:`ReauthorizationRequired` says in one line to run
  ``exactonline auth login``.
* At most 200 token calls per app, user and day: tokens are shared by every process using the
  same store, so concurrent runs do not multiply token calls.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import requests

from tap_exactonline.regions import resolve_base_url
from tap_exactonline.tokenstore import (
    StoreTransaction,
    TokenRecord,
    TokenStore,
    TokenStoreUnreadable,
    open_token_store,
    seed_hash,
)

LOGIN_COMMAND = "exactonline auth login"
REFRESH_MARGIN_SECONDS = 30.0
"""Refresh this long before the access token expires (Exact's advice)."""
MIN_AGE_FRACTION = 0.95
"""Never refresh before this fraction of the lifetime: 570 s of Exact's 600 s."""
REFRESH_TOKEN_DAYS = 30
"""An unused refresh token dies this many days after issue (Exact, since July 2021)."""
REFRESH_TOKEN_WARN_DAYS = 25
TOKEN_CALL_ATTEMPTS = 3
HTTP_TIMEOUT = (10.0, 60.0)

_warned_no_key = False


class ReauthorizationRequired(Exception):
    """Exact needs a new authorization-code login.

    ``str(exc)`` is one line naming ``exactonline auth login`` and never holds a secret.
    """


class TokenEndpointError(Exception):
    """The token endpoint failed in a way a new login would not fix (down, rate limited).

    ``str(exc)`` is one line without secrets.
    """


@dataclass(frozen=True)
class _TokenAnswer:
    """One token-endpoint answer, classified.

    kind: ``ok`` (new tokens), ``too_early`` (570 s rule; current token still valid),
    ``rejected`` (refresh token or code refused: 400/401).
    """

    kind: str
    status: int
    access_token: str | None = None
    expires_in: float | None = None
    refresh_token: str | None = None
    error: str = ""


def refresh_due_at(record: TokenRecord) -> float:
    """Epoch seconds from which the access token should be refreshed.

    ``max(issued + 95% of lifetime, expires - 30 s)``: 570 s for Exact's 600 s tokens, 1.9 s
    for the sandbox's 2 s tokens. ``-inf`` when the record holds no access token.
    """
    if not record.access_token or record.access_token_expires_at is None:
        return float("-inf")
    lifetime = record.access_token_lifetime or 0.0
    issued = record.access_token_issued_at or record.access_token_expires_at
    return max(issued + MIN_AGE_FRACTION * lifetime,
               record.access_token_expires_at - REFRESH_MARGIN_SECONDS)


def refresh_token_dies_at(record: TokenRecord) -> float | None:
    """Epoch seconds at which the stored refresh token dies if unused (issue + 30 days)."""
    if record.refresh_token_issued_at is None:
        return None
    return record.refresh_token_issued_at + REFRESH_TOKEN_DAYS * 86400


def _bearer(request: requests.PreparedRequest | None) -> str | None:
    if request is None:
        return None
    header = request.headers.get("Authorization", "")
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    scheme, _, token = header.partition(" ")
    return token if scheme.lower() == "bearer" and token else None


class ExactOnlineAuthenticator(requests.auth.AuthBase):
    """Bearer authentication with a shared, rotation-safe token store.

    One instance per run, shared by every stream and division (thread-safe).

    Args:
        client_id: The Exact app's client id.
        client_secret: The app's client secret.
        base_url: Exact host, e.g. ``https://start.exactonline.nl`` (OAuth and API share it).
        store: Where tokens live (:func:`tap_exactonline.tokenstore.open_token_store`).
        seed_refresh_token: The configured ``refresh_token``; used only when the store is
            empty or the seed changed since the store last saw it.
        logger: Receives WARNINGs (old refresh token, seed rejected) and DEBUG lines; never
            a secret.
        time_func: Epoch-seconds clock (tests align it with the sandbox clock).
        session: HTTP session for token calls.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        base_url: str,
        store: TokenStore,
        seed_refresh_token: str | None = None,
        logger: logging.Logger | None = None,
        time_func: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.base_url = base_url.rstrip("/")
        self.store = store
        self._seed = seed_refresh_token or None
        self.logger = logger or logging.getLogger("tap_exactonline.auth")
        self._now = time_func
        self._session = session or requests.Session()
        self._mutex = threading.RLock()
        self._record: TokenRecord | None = None
        self._not_before = 0.0
        self._age_warned = False
        self._unreadable_warned = False
        self._last_outcome = ""
        self.token_calls = 0
        """Token-endpoint calls made by this instance (for logs and the CLI)."""

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_settings(
        cls, settings: Mapping[str, Any], *, logger: logging.Logger, **kwargs: Any
    ) -> ExactOnlineAuthenticator:
        """Build from the tap settings.

        Args:
            settings: ``client_id``, ``client_secret``, ``refresh_token``, ``region`` /
                ``base_url``, ``token_store_path``, ``token_store_key``.
            logger: The run's logger.
            **kwargs: Passed to the constructor (``time_func``, ``session``).

        Raises:
            ValueError: ``client_id`` or ``client_secret`` is missing, or the region is
                unknown (one-line message).
            tap_exactonline.tokenstore.TokenStoreError: The store cannot be opened.
        """
        missing = [name for name in ("client_id", "client_secret") if not settings.get(name)]
        if missing:
            raise ValueError(
                f"setting {' and '.join(missing)} missing: copy it from your app registration "
                "in the Exact Online App Center"
            )
        base_url = resolve_base_url(settings)
        client_id = str(settings["client_id"])
        key = settings.get("token_store_key") or None
        if not key:
            _warn_no_key_once(logger)
        store = open_token_store(
            client_id=client_id,
            client_secret=str(settings["client_secret"]),
            base_url=base_url,
            token_store_path=settings.get("token_store_path") or None,
            token_store_key=key,
        )
        return cls(
            client_id=client_id,
            client_secret=str(settings["client_secret"]),
            base_url=base_url,
            store=store,
            seed_refresh_token=settings.get("refresh_token") or None,
            logger=logger,
            **kwargs,
        )

    @property
    def token_url(self) -> str:
        """``{base}/api/oauth2/token``."""
        return f"{self.base_url}/api/oauth2/token"

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        """``{base}/api/oauth2/auth?...`` for the authorization-code flow (fact sheet §2)."""
        query = urlencode({
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "force_login": "0",
            "state": state,
        })
        return f"{self.base_url}/api/oauth2/auth?{query}"

    # -- requests.auth.AuthBase ----------------------------------------------------------------
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Set ``Authorization: Bearer <access token>``, refreshing first when due."""
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        return request

    def access_token(self) -> str:
        """Return a usable access token, refreshing under the store lock when due.

        Raises:
            ReauthorizationRequired: No refresh token works any more.
            TokenEndpointError: The token endpoint is down or rate limited.
        """
        with self._mutex:
            record = self._record
            now = self._now()
            if record and record.access_token and (
                now < refresh_due_at(record) or now < self._not_before
            ):
                return record.access_token
            with self.store.transaction() as tx:
                record = self._load(tx)
                if self._needs_refresh(record, self._now()):
                    record = self._refresh_locked(tx, record)
                self._record = record
            if record is None or not record.access_token:  # pragma: no cover - refresh sets it
                raise TokenEndpointError("Exact Online returned no access token")
            return record.access_token

    def handle_unauthorized(self, request: requests.PreparedRequest | None = None) -> None:
        """After an API 401: re-read the store; refresh once if the rejected token is current.

        Args:
            request: The rejected request (its bearer token is compared with the store's).

        Raises:
            ReauthorizationRequired: No refresh is possible.
            TokenEndpointError: The token endpoint is down or rate limited.
        """
        rejected = _bearer(request)
        with self._mutex, self.store.transaction() as tx:
            record = self._load(tx)
            now = self._now()
            if (
                record is not None
                and record.access_token
                and record.access_token != rejected
                and now < refresh_due_at(record)
            ):
                self.logger.debug("API answered 401; another run already refreshed the token")
                self._record = record
                return
            self.logger.info("API answered 401 to the current access token; refreshing it")
            self._record = self._refresh_locked(tx, record, forced=True, rejected=rejected)

    def refresh(self, *, respect_min_age: bool = True) -> tuple[TokenRecord, str]:
        """Refresh now (the keep-alive of ``exactonline auth refresh``).

        Args:
            respect_min_age: When the stored access token is younger than 95% of its
                lifetime (570 s), do not call the token endpoint.

        Returns:
            ``(record, outcome)``; outcome ``refreshed``, ``too_young`` (nothing done) or
            ``too_early`` (Exact refused; current token kept).
        """
        with self._mutex, self.store.transaction() as tx:
            record = self._load(tx)
            now = self._now()
            if (
                respect_min_age
                and record is not None
                and record.access_token
                and not self._seed_changed(record)
                and now < self._min_refresh_at(record)
            ):
                self._record = record
                return record, "too_young"
            self._last_outcome = "too_young"
            new = self._refresh_locked(tx, record, forced=True)
            self._record = new
            outcome = self._last_outcome
            return new, outcome

    def exchange_code(self, code: str, redirect_uri: str) -> TokenRecord:
        """Exchange an authorization code (already URL-decoded) and fill the store.

        Raises:
            ReauthorizationRequired: Exact rejected the code (expired after 3 minutes, used).
            TokenEndpointError: The token endpoint failed.
        """
        with self._mutex, self.store.transaction() as tx:
            old = self._load(tx, quiet=True)
            answer = self._token_call({
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "client_secret": self._client_secret,
            })
            if answer.kind != "ok":
                raise ReauthorizationRequired(
                    f"Exact Online rejected the authorization code ({answer.error}): "
                    f"run `{LOGIN_COMMAND}` again and finish within 3 minutes"
                )
            # The configured seed stays in the config: remember its hash so that it is not
            # mistaken for a freshly pasted token on the next run.
            seed = seed_hash(self._seed) or (old.seed_hash if old else None)
            record = self._record_from(answer, None, seed)
            tx.save(record)
            self.logger.debug("new tokens saved in the token store")
            self._record = record
            return record

    def stored_record(self) -> TokenRecord | None:
        """The store's record, read under the lock (None when empty or unreadable)."""
        with self._mutex, self.store.transaction() as tx:
            return self._load(tx, quiet=True)

    # -- internals -----------------------------------------------------------------------------
    def _seed_changed(self, record: TokenRecord | None) -> bool:
        configured = seed_hash(self._seed)
        return configured is not None and (record is None or configured != record.seed_hash)

    def _min_refresh_at(self, record: TokenRecord) -> float:
        issued = record.access_token_issued_at or 0.0
        return issued + MIN_AGE_FRACTION * (record.access_token_lifetime or 0.0)

    def _needs_refresh(self, record: TokenRecord | None, now: float) -> bool:
        if record is None or not record.access_token:
            return True
        if now < self._not_before:
            return False
        if self._seed_changed(record) and now >= self._min_refresh_at(record):
            return True
        return now >= refresh_due_at(record)

    def _load(self, tx: StoreTransaction, *, quiet: bool = False) -> TokenRecord | None:
        try:
            record = tx.load()
        except TokenStoreUnreadable as exc:
            if not quiet and not self._unreadable_warned:
                self._unreadable_warned = True
                self.logger.warning("%s; starting again from the configured refresh_token", exc)
            return None
        if record is not None and not quiet:
            self._warn_if_old(record)
        return record

    def _warn_if_old(self, record: TokenRecord) -> None:
        if self._age_warned or record.refresh_token_issued_at is None:
            return
        age_days = (self._now() - record.refresh_token_issued_at) / 86400
        if age_days > REFRESH_TOKEN_WARN_DAYS:
            self._age_warned = True
            dies = dt.datetime.fromtimestamp(refresh_token_dies_at(record) or 0, dt.timezone.utc)
            self.logger.warning(
                "The Exact Online refresh token is %.0f days old unused; it dies on %s UTC "
                "(30 days after issue) unless used: schedule `exactonline auth refresh` weekly",
                age_days,
                dies.strftime("%Y-%m-%d %H:%M"),
            )

    def _refresh_locked(
        self,
        tx: StoreTransaction,
        record: TokenRecord | None,
        *,
        forced: bool = False,
        rejected: str | None = None,
    ) -> TokenRecord:
        """Refresh with the stored or the configured refresh token; persist; return the record.

        Called with the store lock held and ``record`` just re-read from the store.
        """
        configured = seed_hash(self._seed)
        candidates: list[tuple[str, str]] = []
        if record is None or not record.refresh_token:
            if self._seed:
                candidates.append((self._seed, "configured refresh_token"))
        elif self._seed_changed(record):
            assert self._seed is not None
            candidates += [(self._seed, "configured refresh_token"),
                           (record.refresh_token, "token store")]
        else:
            candidates.append((record.refresh_token, "token store"))
        if not candidates and self._unreadable_warned:
            raise ReauthorizationRequired(
                f"The token store {self.store.location} cannot be decrypted with the configured "
                "token_store_key and no refresh_token is configured: set the key it was written "
                f"with, or run `{LOGIN_COMMAND}`"
            )
        if not candidates:
            raise ReauthorizationRequired(
                f"No Exact Online refresh token: the token store {self.store.location} is empty "
                f"and no refresh_token is configured: run `{LOGIN_COMMAND}`"
            )
        rejections: list[str] = []
        for refresh_token, source in candidates:
            answer = self._token_call({
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
                "client_secret": self._client_secret,
            })
            if answer.kind == "ok":
                if rejections:
                    self.logger.warning(
                        "Exact Online rejected the configured refresh_token (%s); continuing "
                        "with the token store's newer refresh token", rejections[0])
                keep_seed = configured or (record.seed_hash if record else None)
                new = self._record_from(answer, record, keep_seed)
                tx.save(new)
                self.logger.debug("new tokens saved in the token store")
                self._not_before = 0.0
                self._last_outcome = "refreshed"
                return new
            if answer.kind == "too_early":
                return self._keep_after_too_early(tx, record, answer, forced=forced,
                                                  rejected=rejected)
            rejections.append(answer.error)
            self.logger.debug("token endpoint rejected the %s (%s)", source, answer.error)
        raise ReauthorizationRequired(
            f"Exact Online rejected the refresh token ({rejections[-1]}): it was revoked, "
            f"expired after 30 days unused, or used elsewhere; run `{LOGIN_COMMAND}` (if that "
            "fails too, check client_id and client_secret)"
        )

    def _keep_after_too_early(
        self,
        tx: StoreTransaction,
        record: TokenRecord | None,
        answer: _TokenAnswer,
        *,
        forced: bool,
        rejected: str | None = None,
    ) -> TokenRecord:
        """Exact said "access_token not expired": re-read the store and carry on.

        Raises:
            TokenEndpointError: No access token is stored, or the API just rejected the
                stored one (another client of the app took the last 570-s slot).
        """
        fresh = self._load(tx, quiet=True) or record
        if answer.refresh_token:
            # A "failed" refresh may still carry a new refresh token (picqer issue #559).
            fresh = replace(
                fresh or TokenRecord(),
                refresh_token=answer.refresh_token,
                refresh_token_issued_at=self._now(),
            )
            if answer.access_token:
                fresh = self._record_from(answer, fresh, fresh.seed_hash)
            tx.save(fresh)
            self.logger.debug("new refresh token saved in the token store")
        if fresh is not None and rejected is not None and fresh.access_token == rejected:
            raise TokenEndpointError(
                "Exact Online rejected the access token and refuses a new one for now (another "
                "client of this app got one less than 570 s ago): run again in 10 minutes"
            )
        if fresh is None or not fresh.access_token:
            raise TokenEndpointError(
                "Exact Online refused a new access token (the last one is younger than 570 s) "
                "and none is stored: retry in 10 minutes"
            )
        self._last_outcome = "too_early"
        lifetime = fresh.access_token_lifetime or 600.0
        self._not_before = self._now() + max(1.0, (1 - MIN_AGE_FRACTION) * lifetime)
        self.logger.info(
            "token endpoint: access_token not expired yet; keeping the current access token%s",
            " (after an API 401)" if forced else "",
        )
        return fresh

    def _record_from(
        self, answer: _TokenAnswer, previous: TokenRecord | None, seed: str | None
    ) -> TokenRecord:
        now = self._now()
        refresh_token = answer.refresh_token or (previous.refresh_token if previous else None)
        refresh_issued = now if answer.refresh_token else (
            previous.refresh_token_issued_at if previous else None)
        return TokenRecord(
            access_token=answer.access_token,
            access_token_issued_at=now,
            access_token_expires_at=now + (answer.expires_in or 600.0),
            refresh_token=refresh_token,
            refresh_token_issued_at=refresh_issued,
            seed_hash=seed,
            last_refresh_at=now,
        )

    def _token_call(self, form: dict[str, str]) -> _TokenAnswer:
        """POST the token endpoint; retry connection errors and 5xx; classify the answer.

        Raises:
            TokenEndpointError: Still failing after ``TOKEN_CALL_ATTEMPTS``, rate limited
                (200 calls/day), or an unexpected answer.
        """
        secrets = [v for k, v in form.items() if k in ("refresh_token", "code", "client_secret")]
        last_problem = ""
        for attempt in range(1, TOKEN_CALL_ATTEMPTS + 1):
            self.token_calls += 1
            self.logger.debug("token endpoint call (grant_type=%s, attempt %d)",
                              form["grant_type"], attempt)
            try:
                resp = self._session.post(
                    self.token_url,
                    data=form,
                    headers={"Accept": "application/json"},
                    timeout=HTTP_TIMEOUT,
                )
            except requests.RequestException as exc:
                last_problem = f"{type(exc).__name__} reaching {self.token_url}"
            else:
                if resp.status_code < 500:
                    return self._classify(resp, secrets)
                last_problem = f"HTTP {resp.status_code}"
            if attempt < TOKEN_CALL_ATTEMPTS:
                time.sleep(2.0 ** (attempt - 1))
        raise TokenEndpointError(
            f"Exact Online token endpoint failed {TOKEN_CALL_ATTEMPTS} times ({last_problem}): "
            "check the network or Exact's status page and retry"
        )

    def _classify(self, resp: requests.Response, secrets: list[str]) -> _TokenAnswer:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        error = _one_line(
            ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
            or f"HTTP {resp.status_code}",
            [*secrets, self._client_secret, *self._known_tokens()],
        )
        access_token = body.get("access_token") or None
        new_refresh = body.get("refresh_token") or None
        expires_in = _seconds(body.get("expires_in"))
        if "not expired" in error.lower():
            return _TokenAnswer("too_early", resp.status_code, access_token, expires_in,
                                new_refresh, error)
        if resp.status_code == 200 and access_token:
            token_type = str(body.get("token_type") or "bearer")
            if token_type.lower() != "bearer":
                raise TokenEndpointError(
                    f"Exact Online returned token_type {token_type[:20]!r}, expected Bearer")
            return _TokenAnswer("ok", 200, access_token, expires_in, new_refresh)
        if "rate limit" in error.lower() or resp.status_code == 429:
            raise TokenEndpointError(
                f"Exact Online token endpoint limit reached ({error}): at most 200 token calls "
                "per app and user per day; the stored tokens are kept, run again tomorrow"
            )
        if resp.status_code in (400, 401):
            return _TokenAnswer("rejected", resp.status_code, error=f"HTTP {resp.status_code} "
                                f"{error}")
        raise TokenEndpointError(
            f"Exact Online token endpoint answered HTTP {resp.status_code} ({error})")

    def _known_tokens(self) -> list[str]:
        record = self._record
        if record is None:
            return []
        return [t for t in (record.access_token, record.refresh_token) if t]


def _seconds(value: Any) -> float | None:
    """``expires_in`` as seconds: Exact sends a string ("600"), others a number."""
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _one_line(text: str, secrets: list[str], limit: int = 200) -> str:
    """Collapse whitespace, cut to ``limit`` characters, and replace secret values with ***."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _warn_no_key_once(logger: logging.Logger) -> None:
    global _warned_no_key  # one warning per process
    if not _warned_no_key:
        _warned_no_key = True
        logger.warning(
            "token_store_key is not set: the token store is encrypted with a key derived from "
            "client_secret; set token_store_key to a Fernet key or passphrase (docs/oauth.md)"
        )
