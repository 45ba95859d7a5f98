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
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests

from tap_exactonline.regions import resolve_base_url
from tap_exactonline.tokenendpoint import (
    TOKEN_CALL_ATTEMPTS,
    TokenAnswer,
    TokenEndpoint,
    TokenEndpointError,
)
from tap_exactonline.tokenrules import (
    LOGIN_COMMAND,
    MIN_AGE_FRACTION,
    REFRESH_TOKEN_WARN_DAYS,
    lost_story,
    margin,
    redeem_advice,
    refresh_due_at,
    refresh_token_dies_at,
    utc_time,
    window_opens,
)
from tap_exactonline.tokenstore import (
    StoreTransaction,
    TokenRecord,
    TokenStore,
    TokenStoreError,
    TokenStoreUnreadable,
    TokenStoreWrongKey,
    open_token_store,
    seed_hash,
)

_T = TypeVar("_T")
__all__ = [  # names other modules import from here
    "LOGIN_COMMAND",
    "MIN_AGE_FRACTION",
    "ExactOnlineAuthenticator",
    "ReauthorizationRequired",
    "TokenEndpointError",
    "refresh_due_at",
    "refresh_token_dies_at",
]

class _WaitThenRetry(Exception):
    """Exact's 570-s window for a new token opens at ``until`` (epoch s); ``story`` says why."""

    def __init__(self, until: float, story: str) -> None:
        super().__init__(story)
        self.until = until
        self.story = story


_warned_no_key = False


class ReauthorizationRequired(Exception):
    """Exact needs a new authorization-code login.

    ``str(exc)`` is one line naming ``exactonline auth login`` and never holds a secret.
    """


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
        sleep_func: Waits (seconds); tests advance their clocks instead of sleeping.
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
        sleep_func: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.base_url = base_url.rstrip("/")
        self.store = store
        self._seed = seed_refresh_token or None
        self.logger = logger or logging.getLogger("tap_exactonline.auth")
        self._now = time_func
        self._sleep = sleep_func
        self._endpoint = TokenEndpoint(
            url=f"{self.base_url}/api/oauth2/token", client_secret=client_secret,
            session=session or requests.Session(), logger=self.logger, now=time_func,
            sleep=sleep_func, known_tokens=self._known_tokens)
        self._mutex = threading.RLock()
        self._record: TokenRecord | None = None
        self._not_before = 0.0
        self._age_warned = False
        self._unreadable_warned = False
        self._unreadable: TokenStoreUnreadable | None = None
        self._last_outcome = ""

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
            **kwargs: Passed to the constructor (``time_func``, ``sleep_func``, ``session``).

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
        return self._endpoint.token_url

    @property
    def token_calls(self) -> int:
        """Token-endpoint calls made by this instance (for logs and the CLI)."""
        return self._endpoint.calls

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

        A stored token that needs no refresh is read without the lock (nothing is created).
        After a token call whose answer was lost, waits for Exact's 570-s rule and refreshes
        once more (see :meth:`_refresh_locked`).

        Raises:
            ReauthorizationRequired: No refresh token works any more.
            TokenEndpointError: The token endpoint is down or rate limited.
            TokenStoreError: The store cannot be used (one line with the cause).
        """
        with self._mutex:
            record = self._record
            now = self._now()
            if record and record.access_token and (
                now < refresh_due_at(record) or now < self._not_before
            ):
                return record.access_token
            if record is None:
                stored = self._load_unlocked()
                if stored is not None and not self._needs_refresh(stored, now):
                    self._warn_if_old(stored)
                    self._record = stored
                    return str(stored.access_token)
            record = self._recovering(self._access_token_attempt)
            if record is None or not record.access_token:  # pragma: no cover - refresh sets it
                raise TokenEndpointError("Exact Online returned no access token")
            return record.access_token

    def _access_token_attempt(self, waited: bool) -> TokenRecord | None:
        with self.store.transaction() as tx:
            record = self._load(tx)
            if self._needs_refresh(record, self._now()):
                record = self._refresh_locked(tx, record, waited=waited)
            self._record = record
        return record

    def handle_unauthorized(self, request: requests.PreparedRequest | None = None) -> None:
        """After an API 401: re-read the store; refresh if the rejected token is current.

        Args:
            request: The rejected request (its bearer token is compared with the store's).

        Raises:
            ReauthorizationRequired: No refresh is possible.
            TokenEndpointError: The token endpoint is down or rate limited, or Exact refuses
                a new token for now (the line says until when and what to do).
        """
        rejected = _bearer(request)
        with self._mutex:
            self._recovering(lambda waited: self._unauthorized_attempt(rejected, waited))

    def _unauthorized_attempt(self, rejected: str | None, waited: bool) -> None:
        with self.store.transaction() as tx:
            record = self._load(tx)
            now = self._now()
            if (
                record is not None
                and record.access_token
                and record.access_token != rejected
                and now < refresh_due_at(record)
                and record.refresh_call_started_at is None
            ):
                self.logger.debug("API answered 401; another run already refreshed the token")
                self._record = record
                return
            self.logger.info("API answered 401 to the current access token; refreshing it")
            self._record = self._refresh_locked(tx, record, forced=True, rejected=rejected,
                                                waited=waited)

    def refresh(self, *, respect_min_age: bool = True) -> tuple[TokenRecord, str]:
        """Refresh now (the keep-alive of ``exactonline auth refresh``).

        Args:
            respect_min_age: When the stored access token is younger than 95% of its
                lifetime (570 s), do not call the token endpoint.

        Returns:
            ``(record, outcome)``; outcome ``refreshed``, ``too_young`` (nothing done) or
            ``too_early`` (Exact refused; current token kept).
        """
        with self._mutex:
            return self._recovering(lambda waited: self._refresh_attempt(respect_min_age, waited))

    def _refresh_attempt(self, respect_min_age: bool, waited: bool) -> tuple[TokenRecord, str]:
        with self.store.transaction() as tx:
            record = self._load(tx)
            now = self._now()
            if (
                respect_min_age
                and record is not None
                and record.access_token
                and record.refresh_call_started_at is None
                and not self._seed_changed(record)
                and now < self._min_refresh_at(record)
            ):
                self._record = record
                return record, "too_young"
            self._last_outcome = "too_young"
            new = self._refresh_locked(tx, record, forced=True, waited=waited)
            self._record = new
            return new, self._last_outcome

    def exchange_code(self, code: str, redirect_uri: str) -> TokenRecord:
        """Exchange an authorization code (already URL-decoded) and fill the store.

        Raises:
            ReauthorizationRequired: Exact rejected the code (expired after 3 minutes, used).
            TokenEndpointError: The token endpoint failed.
        """
        with self._mutex, self.store.transaction() as tx:
            old = self._load(tx, quiet=True)
            answer = self._endpoint.call({
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "client_secret": self._client_secret,
            })
            if answer.kind == "failed":
                raise TokenEndpointError(
                    f"Exact Online token endpoint failed {TOKEN_CALL_ATTEMPTS} times "
                    f"({answer.error}): run `{LOGIN_COMMAND}` again")
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
        """The store's record, read without the lock and without creating anything.

        Returns:
            The record, or None when the store is empty or does not exist yet.

        Raises:
            TokenStoreUnreadable: The store cannot be decrypted (another key) or is damaged.
            TokenStoreError: The store cannot be read.
        """
        return self.store.load()

    # -- internals -----------------------------------------------------------------------------
    def _recovering(self, attempt: Callable[[bool], _T]) -> _T:
        """Run ``attempt(False)``; after a :class:`_WaitThenRetry`, wait and run it once more.

        The wait happens with the store unlocked, so other runs are not held up.
        """
        try:
            return attempt(False)
        except _WaitThenRetry as wait:
            seconds = max(0.0, wait.until - self._now())
            self.logger.warning(
                "%s: waiting %.0f s (until %s) for Exact Online's 570-s rule, then asking "
                "once more", wait.story, seconds, utc_time(wait.until))
            self._sleep(seconds)
            return attempt(True)

    def _load_unlocked(self) -> TokenRecord | None:
        """The stored record read without the lock; None when empty or unreadable."""
        try:
            return self.store.load()
        except TokenStoreUnreadable:
            return None  # the locked path warns and recovers

    def _seed_changed(self, record: TokenRecord | None) -> bool:
        configured = seed_hash(self._seed)
        return configured is not None and (record is None or configured != record.seed_hash)

    def _min_refresh_at(self, record: TokenRecord) -> float:
        issued = record.access_token_issued_at or 0.0
        return issued + MIN_AGE_FRACTION * (record.access_token_lifetime or 0.0)

    def _needs_refresh(self, record: TokenRecord | None, now: float) -> bool:
        if record is None or not record.access_token:
            return True
        if record.refresh_call_started_at is not None:
            return True  # a rotated refresh token must be redeemed within Exact's window
        if now < self._not_before:
            return False
        if self._seed_changed(record) and now >= self._min_refresh_at(record):
            return True
        return now >= refresh_due_at(record)

    def _load(self, tx: StoreTransaction, *, quiet: bool = False) -> TokenRecord | None:
        try:
            record = tx.load()
        except TokenStoreUnreadable as exc:
            self._unreadable = exc
            if not quiet and not self._unreadable_warned:
                self._unreadable_warned = True
                self.logger.warning("%s; starting again from the configured refresh_token", exc)
            return None
        self._unreadable = None
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
        waited: bool = False,
    ) -> TokenRecord:
        """Refresh with the stored or the configured refresh token; persist; return the record.

        Called with the store lock held and ``record`` just re-read from the store. Before
        the token call a marker (``refresh_call_started_at``) is saved durably: if the answer
        never arrives (killed run, reset, truncated body) Exact may have rotated the refresh
        token, and the old one then works only between 570 s (Exact refuses a new token
        sooner) and 10 minutes after that call (fact sheet §2). Whoever finds the marker
        waits for that window (:class:`_WaitThenRetry`) and refreshes once more.

        Raises:
            _WaitThenRetry: Exact's window for a lost answer opens later (caught by
                :meth:`_recovering`, which waits and calls again with ``waited=True``).
        """
        now = self._now()
        pending = record if record is not None and record.refresh_call_started_at else None
        if pending is not None and not waited:
            until = window_opens(pending)
            if now < until:
                raise _WaitThenRetry(until, lost_story(pending))
        candidates = self._candidates(record)
        rejections: list[str] = []
        for refresh_token, source in candidates:
            marker = replace(
                record or TokenRecord(),
                refresh_call_started_at=(pending.refresh_call_started_at if pending else now),
                refresh_call_failed_at=(pending.refresh_call_failed_at if pending else None),
            )
            if self._unreadable is None:  # never overwrite a store we could not read
                tx.checkpoint(marker)
            try:
                answer = self._endpoint.call({
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": self.client_id,
                    "client_secret": self._client_secret,
                })
            except TokenEndpointError as exc:  # a definite answer (limit, unexpected status)
                lost_at = getattr(exc, "lost_at", None)
                if lost_at is not None:
                    marker = replace(marker, refresh_call_failed_at=lost_at)
                self._settle_marker(tx, record, marker, lost_at is not None or bool(pending))
                raise
            if answer.lost_at is not None:
                marker = replace(marker, refresh_call_failed_at=answer.lost_at)
            lost = answer.lost_at is not None or pending is not None
            if answer.kind == "ok":
                if rejections:
                    self.logger.warning(
                        "Exact Online rejected the configured refresh_token (%s); continuing "
                        "with the token store's newer refresh token", rejections[0])
                keep_seed = seed_hash(self._seed) or (record.seed_hash if record else None)
                new = self._record_from(answer, record, keep_seed)
                tx.save(new)
                self.logger.debug("new tokens saved in the token store")
                if pending is not None or answer.lost_at is not None:
                    self.logger.info("token refresh completed after the lost answer")
                self._not_before = 0.0
                self._last_outcome = "refreshed"
                return new
            if answer.kind == "failed":
                self._settle_marker(tx, record, marker, lost)
                raise TokenEndpointError(
                    (lost_story(marker) + "; the token endpoint failed "
                     f"{TOKEN_CALL_ATTEMPTS} times ({answer.error}): {redeem_advice(marker)}")
                    if lost else
                    f"Exact Online token endpoint failed {TOKEN_CALL_ATTEMPTS} times "
                    f"({answer.error}): check the network or Exact's status page and retry"
                )
            if answer.kind == "too_early":
                if lost:
                    tx.checkpoint(marker)
                    if waited:
                        raise TokenEndpointError(
                            f"{lost_story(marker)}, and Exact still refuses a new access "
                            f"token at {utc_time(self._now())}: {redeem_advice(marker)}")
                    raise _WaitThenRetry(window_opens(marker), lost_story(marker))
                self._settle_marker(tx, record, marker, lost=False)
                return self._keep_after_too_early(tx, record, answer, forced=forced,
                                                  rejected=rejected, waited=waited)
            rejections.append(answer.error)
            self.logger.debug("token endpoint rejected the %s (%s)", source, answer.error)
            if lost:
                raise ReauthorizationRequired(
                    f"{lost_story(marker)}, and Exact no longer accepts the refresh token it "
                    f"rotated then ({answer.error}): run `{LOGIN_COMMAND}`")
            self._settle_marker(tx, record, marker, lost=False)
        if isinstance(self._unreadable, TokenStoreWrongKey):
            raise self._wrong_key_error(rejections[-1])
        raise ReauthorizationRequired(
            f"Exact Online rejected the refresh token ({rejections[-1]}): it was revoked, "
            f"expired after 30 days unused, or used elsewhere; run `{LOGIN_COMMAND}` (if that "
            "fails too, check client_id and client_secret)"
        )

    def _candidates(self, record: TokenRecord | None) -> list[tuple[str, str]]:
        """The refresh tokens to try, in order: ``(token, where it comes from)``.

        Raises:
            ReauthorizationRequired: There is none (empty store, no refresh_token setting).
            TokenStoreError: The store cannot be decrypted and no refresh_token is set.
        """
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
        if not candidates and isinstance(self._unreadable, TokenStoreWrongKey):
            raise self._wrong_key_error(None)
        if not candidates and self._unreadable is not None:
            raise ReauthorizationRequired(
                f"{self._unreadable} and no refresh_token is configured: run `{LOGIN_COMMAND}`")
        if not candidates:
            raise ReauthorizationRequired(
                f"No Exact Online refresh token: the token store {self.store.location} is empty "
                f"and no refresh_token is configured: run `{LOGIN_COMMAND}`"
            )
        return candidates

    def _wrong_key_error(self, seed_answer: str | None) -> TokenStoreError:
        """One line: the store is encrypted with another key (and the seed does not help)."""
        seed = (f"; the configured refresh_token does not help either (Exact: {seed_answer})"
                if seed_answer else "")
        return TokenStoreError(
            f"the token store {self.store.location} cannot be decrypted with the configured "
            f"token_store_key: it was written with another key{seed}. Set token_store_key back "
            f"to the key it was written with, or run `{LOGIN_COMMAND}` to start a new store"
        )

    def _settle_marker(self, tx: StoreTransaction, record: TokenRecord | None,
                       marker: TokenRecord, lost: bool) -> None:
        """After a token call without new tokens: keep or drop the marker.

        The marker stays (durably) when the call's answer may have been lost; otherwise the
        record is put back as it was.
        """
        if self._unreadable is not None:
            return
        if lost:
            tx.checkpoint(marker)
        else:
            tx.save(record or TokenRecord())

    def _keep_after_too_early(
        self,
        tx: StoreTransaction,
        record: TokenRecord | None,
        answer: TokenAnswer,
        *,
        forced: bool,
        rejected: str | None = None,
        waited: bool = False,
    ) -> TokenRecord:
        """Exact said "access_token not expired" to a call of ours that lost nothing.

        Another client of the app got a token less than 570 s ago. A stored token that is
        still valid is kept. Without one, waits once for the 570-s rule and asks again.

        Raises:
            _WaitThenRetry: No usable access token is stored (first time only).
            TokenEndpointError: The API just rejected the stored token, or Exact still
                refuses after the wait.
            TokenStoreError: The store could not be decrypted (another key).
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
        now = self._now()
        if fresh is not None and rejected is not None and fresh.access_token == rejected:
            lifetime = fresh.access_token_lifetime or 600.0
            issued = fresh.access_token_issued_at or now
            raise TokenEndpointError(
                f"Exact Online answered 401 to the access token issued at {utc_time(issued)} and "
                "refuses a new one until about "
                f"{utc_time(max(now, issued) + MIN_AGE_FRACTION * lifetime)} (570 s after the last "
                "one it issued to this app): run again after that; if it happens again, run "
                "`exactonline check`"
            )
        if fresh is None and isinstance(self._unreadable, TokenStoreWrongKey):
            raise self._wrong_key_error(answer.error)
        usable = (fresh is not None and fresh.access_token
                  and (fresh.access_token_expires_at or 0.0) > now)
        if not usable:
            lifetime = (fresh.access_token_lifetime if fresh else None) or 600.0
            if not waited:
                raise _WaitThenRetry(
                    now + MIN_AGE_FRACTION * lifetime + margin(lifetime),
                    "Exact Online refuses a new access token for now (another client of this "
                    "app got one less than 570 s ago) and none valid is stored")
            raise TokenEndpointError(
                "Exact Online still refuses a new access token (another client of this app "
                "keeps getting one less than 570 s before us) and none valid is stored: stop "
                "the other client or give it its own token store, then run again"
            )
        assert fresh is not None
        self._last_outcome = "too_early"
        lifetime = fresh.access_token_lifetime or 600.0
        self._not_before = now + max(1.0, (1 - MIN_AGE_FRACTION) * lifetime)
        self.logger.info(
            "token endpoint: access_token not expired yet; keeping the current access token%s",
            " (after an API 401)" if forced else "",
        )
        return fresh

    def _record_from(
        self, answer: TokenAnswer, previous: TokenRecord | None, seed: str | None
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

    def _known_tokens(self) -> list[str]:
        record = self._record
        if record is None:
            return []
        return [t for t in (record.access_token, record.refresh_token) if t]


def _warn_no_key_once(logger: logging.Logger) -> None:
    global _warned_no_key  # one warning per process
    if not _warned_no_key:
        _warned_no_key = True
        logger.warning(
            "token_store_key is not set: the token store is encrypted with a key derived from "
            "client_secret; set token_store_key to a Fernet key or passphrase (docs/oauth.md)"
        )
