"""Exact Online API calls: the tap's errors and the HTTP plumbing of one run.

:class:`ExactOnlineHTTP` sends every call of a run under its one authenticator and rate limiter,
waits out 429s and re-authorizes after a 401; :meth:`ExactOnlineHTTP.get_rows` reads small
collections for lookups outside the streams. The streams (``client.py``) send through it too.

Sources: fact sheet §3-§8 (envelopes, paging, error envelope, rate limits); CONTRACTS §4
(authenticator) and §5 (rate limiter).
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t
from collections import Counter
from collections.abc import Mapping
from http import HTTPStatus
from urllib.parse import quote

import msgspec
import requests
from singer_sdk.exceptions import FatalAPIError

from tap_exactonline import odata
from tap_exactonline.ratelimit import RateLimiter
from tap_exactonline.regions import refused_on_this_machine, unreachable_advice

if t.TYPE_CHECKING:
    from tap_exactonline.auth import ExactOnlineAuthenticator

#: Longest run of consecutive 429 answers waited out for one request before giving up.
MAX_CONSECUTIVE_429 = 30
#: Re-authorizations (each with a new access token) after 401 answers to one request.
MAX_REAUTHORIZATIONS = 3
#: Seconds before an API call times out (then retried with backoff).
REQUEST_TIMEOUT = 120
_PAYLOAD = "_exact_payload"
#: Failures of a call that are retried: no connection, a reset or timeout, a body that breaks
#: off (the SDK's backoff retries the same list for the streams).
_RETRIED_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class ExactOnlineError(Exception):
    """A one-line, user-facing error of the tap (str(exc) says what and what to do)."""


class ExactOnlineAPIError(FatalAPIError, ExactOnlineError):
    """Exact answered 4xx: never retried (fact sheet §7, error budget).

    Attributes:
        status: HTTP status code.
        division: Division of the request, or None for division-less calls.
        reason: The ``Reason`` header (403 only, e.g. ``NoDivisionAccess``), or None.
    """

    def __init__(
        self, message: str, *, status: int, division: int | None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.division = division
        self.reason = reason


class PageLoopError(ExactOnlineError):
    """Exact's ``__next`` link points back to a page already read: one line, no retry."""


def api_error_message(what: str, division: int | None, response: requests.Response) -> str:
    """One line: stream (or lookup), division, status and Exact's ``error.message.value``."""
    text = None
    try:
        text = odata.error_message(odata.decode_json(response.content))
    except (msgspec.DecodeError, ValueError):
        text = None
    if not text:
        text = response.reason or "no message"
    where = f"division {division}" if division is not None else "no division"
    reason = response.headers.get("Reason")
    extra = f" (Reason: {reason})" if reason else ""
    return f"{what}: {where}: HTTP {response.status_code}{extra}: {text}"


def response_payload(response: requests.Response) -> t.Any:
    """The decoded JSON of a response, decoded once and cached on the response."""
    payload = getattr(response, _PAYLOAD, None)
    if payload is None:
        payload = odata.decode_json(response.content)
        setattr(response, _PAYLOAD, payload)
    return payload


def odata_query(params: Mapping[str, t.Any]) -> str:
    """Encode OData query options the way Exact's own examples write them.

    ``$``, quotes, parentheses, commas, colons and ``=`` stay literal; spaces become ``%20``.
    """
    safe = "$'(),:=/"
    return "&".join(
        f"{quote(str(k), safe=safe)}={quote(str(v), safe=safe)}"
        for k, v in params.items()
        if v is not None
    )


def _what(request: requests.PreparedRequest) -> str:
    """The endpoint of a request for messages: ``sync/Financial/TransactionLines``."""
    path = (request.path_url or "").split("?")[0]
    parts = path.split("/")
    return "/".join(parts[4:]) if len(parts) > 4 else path  # /api/v1/{division}/...


class ExactOnlineHTTP:
    """HTTP plumbing of one tap run: one authenticator, one rate limiter, a session per thread.

    Args:
        base_url: Host URL, e.g. ``https://start.exactonline.nl`` (regions.resolve_base_url).
        authenticator: The run's ``ExactOnlineAuthenticator`` (CONTRACTS §4).
        limiter: The run's ``RateLimiter`` (CONTRACTS §5).
        logger: Tap logger.
    """

    def __init__(
        self,
        base_url: str,
        authenticator: ExactOnlineAuthenticator,
        limiter: RateLimiter,
        logger: logging.Logger,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.authenticator = authenticator
        self.limiter = limiter
        self.logger = logger
        self._sessions = threading.local()
        self.calls: Counter[int] = Counter()
        """API calls sent per division (429s and retries included: Exact counts them too)."""
        self.answered = False
        """Whether the host has answered a call of this run."""

    @property
    def session(self) -> requests.Session:
        """This thread's session (divisions may be read by several threads at once)."""
        session: requests.Session | None = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
        return session

    def api_url(self, division: int | str, endpoint: str) -> str:
        """``{base}/api/v1/{division}/{endpoint}``; division may be ``current``."""
        return f"{self.base_url}/api/v1/{division}/{endpoint}"

    def send(
        self,
        request: requests.PreparedRequest,
        division: int | None,
        *,
        session: requests.Session | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> requests.Response:
        """Send one API call under the rate limiter; wait out 429s; re-authorize after a 401.

        A 429 is waited out (``wait_after_429``) and retried without counting as a failed
        attempt. A 401 calls ``authenticator.handle_unauthorized``, which re-reads the token
        store and refreshes if it can, and the call is made again with the new access token;
        up to :data:`MAX_REAUTHORIZATIONS` times for one request, each time with a token the
        API has not refused yet.

        Raises:
            DailyLimitReached: From the limiter, before the call is made.
            ReauthorizationRequired: From the authenticator.
            TokenEndpointError: From the authenticator (says why no new token comes).
            ExactOnlineAPIError: Status 401: still refused after
                :data:`MAX_REAUTHORIZATIONS` new access tokens (one line saying so).
            requests.RequestException: Connection errors and timeouts (retried by the caller).
            ExactOnlineError: The first connection of the run was refused on this machine
                (local sandbox not running): one line naming the URL and what to start.
        """
        session = session or self.session
        refused: list[str] = []
        throttled = 0
        while True:
            self.limiter.before_request(division)
            request = self.authenticator(request)
            if division is not None:
                self.calls[division] += 1
            try:
                response = session.send(request, timeout=timeout)
            except requests.ConnectionError as exc:
                if not self.answered and refused_on_this_machine(str(request.url), exc):
                    # Nothing ever listened on this machine's port this run (the local sandbox
                    # is not running): say so now instead of after a minute of retries. Once
                    # the host has answered, a refusal is retried (a restart in progress).
                    raise ExactOnlineError(
                        f"cannot reach {self.base_url}: {unreachable_advice(self.base_url)}"
                    ) from None
                raise
            self.answered = True
            self.limiter.after_response(division, response.status_code, response.headers)
            if response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
                throttled += 1
                if throttled > MAX_CONSECUTIVE_429:
                    return response
                self.logger.info(
                    "429 Too Many Requests for division %s: waiting for the rate-limit reset",
                    division,
                )
                self.limiter.wait_after_429(division, response.headers)
                continue
            if response.status_code == HTTPStatus.UNAUTHORIZED:
                refused.append(str(request.headers.get("Authorization", "")))
                if len(refused) > MAX_REAUTHORIZATIONS:
                    raise ExactOnlineAPIError(
                        f"{_what(request)}: division {division}: Exact Online answered 401 "
                        f"Unauthorized to {len(refused)} access tokens in a row, each newly "
                        "issued: the user may have lost access to the app or the division; "
                        "run `exactonline check`",
                        status=HTTPStatus.UNAUTHORIZED,
                        division=division,
                    )
                self.authenticator.handle_unauthorized(response.request)
                continue
            return response

    def get_rows(
        self,
        what: str,
        url: str,
        params: Mapping[str, t.Any] | None,
        division: int | None,
        *,
        tries: int = 5,
    ) -> list[dict[str, t.Any]]:
        """GET a (small) collection, following ``__next``; for lookups outside the streams.

        5xx answers, connection errors, bodies that break off and invalid JSON are retried with
        exponential backoff.

        Raises:
            ExactOnlineAPIError: A 4xx answer (one-line message naming ``what``).
            ExactOnlineError: Still failing after ``tries`` attempts.
        """
        rows: list[dict[str, t.Any]] = []
        next_url: str | None = url + ("?" + odata_query(params) if params else "")
        while next_url:
            payload = self._get_payload(what, next_url, division, tries)
            page, next_url = odata.unwrap(payload)
            rows.extend(page)
        return rows

    def _get_payload(self, what: str, url: str, division: int | None, tries: int) -> t.Any:
        last = ""
        for attempt in range(tries):
            if attempt:
                time.sleep(min(2**attempt, 30))
            request = requests.Request(
                "GET", url, headers={"Accept": "application/json"}
            ).prepare()
            try:
                response = self.send(request, division)
            except _RETRIED_EXCEPTIONS as exc:
                last = f"{type(exc).__name__}"
                continue
            if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR or (
                response.status_code == HTTPStatus.TOO_MANY_REQUESTS
            ):
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code >= HTTPStatus.BAD_REQUEST:
                raise ExactOnlineAPIError(
                    api_error_message(what, division, response),
                    status=response.status_code,
                    division=division,
                    reason=response.headers.get("Reason"),
                )
            try:
                return response_payload(response)
            except msgspec.DecodeError:
                last = "invalid JSON body"
        raise ExactOnlineError(f"{what}: division {division}: gave up after {tries} tries ({last})")
