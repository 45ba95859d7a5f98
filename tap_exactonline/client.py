"""Exact Online REST client: the base stream and the HTTP plumbing shared by the tap.

``ExactOnlineStream`` owns what every stream shares: the URL
``{base}/api/v1/{division}/{endpoint}``, ``Accept: application/json``, ``$select`` of exactly
the selected properties, paging by following ``__next`` verbatim, response unwrap, record
conversion, error mapping, 401 handling and the rate limiter. The three families
(:class:`SyncStream`, :class:`ModifiedStream`, :class:`FullTableStream`) live in
``streams.py``.

Sources: fact sheet §3-§8 (envelopes, paging, page sizes, error envelope, rate limits);
CONTRACTS §4 (authenticator) and §5 (rate limiter).
"""

from __future__ import annotations

import logging
import time
import typing as t
from collections.abc import Iterable, Mapping
from functools import cached_property
from http import HTTPStatus
from urllib.parse import quote

import backoff
import msgspec
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseHATEOASPaginator
from singer_sdk.streams import RESTStream
from singer_sdk.streams.rest import HTTPRequest, PageContext

from tap_exactonline import odata
from tap_exactonline.ratelimit import DailyLimitReached, RateLimiter

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_exactonline.auth import ExactOnlineAuthenticator
    from tap_exactonline.tap import TapExactOnline

#: Longest run of consecutive 429 answers waited out for one request before giving up.
MAX_CONSECUTIVE_429 = 30
#: Seconds before an API call times out (then retried with backoff).
REQUEST_TIMEOUT = 120
_PAYLOAD = "_exact_payload"


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


class ExactOnlineHTTP:
    """HTTP plumbing of one tap run: one authenticator, one rate limiter, one session.

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
        self.session = requests.Session()

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
        """Send one API call under the rate limiter; wait out 429s; retry once after a 401.

        A 429 is waited out (``wait_after_429``) and retried without counting as a failed
        attempt. A 401 calls ``authenticator.handle_unauthorized`` (which re-reads the token
        store and refreshes if it can) and retries the call once.

        Raises:
            DailyLimitReached: From the limiter, before the call is made.
            ReauthorizationRequired: From the authenticator.
            requests.RequestException: Connection errors and timeouts (retried by the caller).
        """
        session = session or self.session
        reauthorized = False
        throttled = 0
        while True:
            self.limiter.before_request(division)
            request = self.authenticator(request)
            response = session.send(request, timeout=timeout)
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
            if response.status_code == HTTPStatus.UNAUTHORIZED and not reauthorized:
                reauthorized = True
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

        5xx answers, connection errors and invalid JSON are retried with exponential backoff.

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
            except (requests.ConnectionError, requests.Timeout) as exc:
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


class ExactNextPaginator(BaseHATEOASPaginator):
    """Follows OData's ``d.__next`` link verbatim (fact sheet §4: opaque, repeats the query)."""

    def get_next_url(self, response: requests.Response) -> str | None:
        """The ``__next`` URL of the page, or None on the last page."""
        return odata.unwrap(response_payload(response))[1]

    def continue_if_empty(self, response: requests.Response) -> bool:
        """An empty page that still has ``__next`` does not end the stream."""
        return self.get_next_url(response) is not None


class ExactOnlineStream(RESTStream):
    """Base stream: one Exact endpoint, read per division (one state partition each).

    Class attributes set by the stream declarations (streams.py):
        endpoint: Path under ``/api/v1/{division}/``, e.g. ``sync/Financial/TransactionLines``.
        page_size: Rows per page Exact serves (60 standard; 1000 sync and bulk).
        extra_fields: Schema fields the tap adds that Exact does not have (never in $select).
    """

    endpoint: str = ""
    page_size: int = 60
    extra_fields: frozenset[str] = frozenset()
    partitioned: bool = True
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # records are converted here
    _LOG_REQUEST_METRICS = False

    tap: TapExactOnline

    def __init__(self, tap: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        """Build the stream; ``tap`` is the running ``TapExactOnline``."""
        super().__init__(tap, *args, **kwargs)
        self.tap = tap
        self._plan_cache: tuple[tuple[str, t.Any], ...] | None = None

    # -- URL, headers, query ------------------------------------------------------------------
    @property
    def url_base(self) -> str:
        """``{base}/api/v1``."""
        return f"{self.tap.base_url}/api/v1"

    @property
    def http_headers(self) -> dict[str, str]:
        """Always JSON (Exact's default media type is Atom XML, fact sheet §4)."""
        return {"Accept": "application/json", "User-Agent": "tap-exactonline"}

    @property
    def authenticator(self) -> t.Any:
        """The run's shared authenticator (applied in :meth:`_request`, not by requests)."""
        return _NoAuth()

    @property
    def timeout(self) -> int:
        """Request timeout in seconds."""
        return REQUEST_TIMEOUT

    @cached_property
    def selected_fields(self) -> list[str]:
        """Selected catalog properties, in schema order (always including automatic ones)."""
        names = []
        for name in self.effective_schema["properties"]:
            if self.mask.get(("properties", name), True):
                names.append(name)
        for key in (*self.primary_keys, self.replication_key):
            if key and key not in names:
                names.append(key)
        return names

    @cached_property
    def select_list(self) -> str:
        """``$select`` value: exactly the selected properties Exact knows (never ``*``)."""
        return ",".join(f for f in self.selected_fields if f not in self.extra_fields)

    @property
    def plan(self) -> tuple[tuple[str, t.Any], ...]:
        """Record conversion plan for the selected fields (see odata.build_plan)."""
        if self._plan_cache is None:
            self._plan_cache = odata.build_plan(
                self.effective_schema["properties"], self.selected_fields
            )
        return self._plan_cache

    def division_of(self, context: Context | None) -> int:
        """The division a partition reads; unpartitioned: the first division not stopped."""
        if context and "Division" in context:
            return int(context["Division"])
        divisions = self.tap.divisions
        return next((d for d in divisions if not self.tap.division_stopped(d)), divisions[0])

    def query_options(self, context: Context | None) -> dict[str, t.Any]:
        """OData query options of the first page (families add ``$filter``)."""
        return {"$select": self.select_list}

    def get_url(self, context: Context | None) -> str:
        """``{base}/api/v1/{division}/{endpoint}``."""
        return f"{self.url_base}/{self.division_of(context)}/{self.endpoint}"

    def get_new_paginator(self) -> ExactNextPaginator:
        """Page by following ``__next`` (1000 rows on sync/bulk, 60 elsewhere)."""
        return ExactNextPaginator()

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """First page: URL + query options; later pages: ``__next`` exactly as Exact sent it."""
        if page.next_page_token is not None:
            return HTTPRequest(url=page.next_page_token.geturl(), headers=self.http_headers)
        query = odata_query(self.query_options(page.stream_context))
        url = self.get_url(page.stream_context)
        return HTTPRequest(url=f"{url}?{query}" if query else url, headers=self.http_headers)

    # -- sending, errors ----------------------------------------------------------------------
    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """Send under the rate limiter with 429/401 handling, then validate (SDK backoff)."""
        division = self.division_of(context)
        self._request_division = division
        response = self.tap.http.send(
            prepared_request, division, session=self.requests_session, timeout=self.timeout
        )
        self.validate_response(response)
        return response

    def validate_response(self, response: requests.Response) -> None:
        """Map statuses: 5xx/429 and unreadable bodies retry; 4xx is fatal, one line.

        Raises:
            RetriableAPIError: 5xx, 429, or a 2xx body that is not complete valid JSON.
            ExactOnlineAPIError: 400-499 except 429 (never retried: Exact's error budget).
        """
        status = response.status_code
        division = getattr(self, "_request_division", None)
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(api_error_message(self.name, division, response), response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise ExactOnlineAPIError(
                api_error_message(self.name, division, response),
                status=status,
                division=division,
                reason=response.headers.get("Reason"),
            )
        try:
            odata.unwrap(response_payload(response))
        except (msgspec.DecodeError, ValueError) as exc:
            raise RetriableAPIError(
                f"{self.name}: division {division}: unreadable response body ({exc})", response
            ) from None

    def backoff_wait_generator(self) -> t.Generator[float, None, None]:
        """Exponential waits 1, 2, 4, ... 60 s (jitter added by the SDK)."""
        return backoff.expo(base=2, factor=1, max_value=60)

    def backoff_max_tries(self) -> int:
        """Attempts for 5xx, resets, timeouts and bad bodies before the run fails."""
        return 8

    def backoff_handler(self, details: t.Any) -> None:
        """Log one WARNING line per retry (no URL query, no headers)."""
        exc = details.get("exception")
        self.logger.warning(
            "%s: retry %s in %.1f s after %s",
            self.name,
            details.get("tries"),
            details.get("wait") or 0.0,
            str(exc).splitlines()[0] if exc else "error",
        )

    # -- records ------------------------------------------------------------------------------
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """Yield the rows of one page, converted (see :meth:`convert`)."""
        rows, _ = odata.unwrap(response_payload(response))
        convert = self.convert
        for row in rows:
            yield convert(row, self._current_division)
        self.after_page()

    def after_page(self) -> None:
        """Hook run after the last row of a page has been emitted."""

    def convert(self, row: Mapping[str, t.Any], division: int) -> dict[str, t.Any]:
        """Exact row -> record: selected fields only, dates per the date rule, Division set."""
        record = odata.convert_record(row, self.plan)
        if record.get("Division") is None:
            record["Division"] = division
        return record

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Read one division; a daily limit or a 4xx stops this partition, not the run."""
        division = self.division_of(context)
        self._current_division = division
        if self.tap.division_stopped(division):
            self.logger.info("%s: division %s skipped (stopped earlier)", self.name, division)
            return
        try:
            self.prepare_partition(context, division)
            yield from self.request_records(context)
        except DailyLimitReached as exc:
            self.abandon_partition(context)
            self.tap.stop_division(
                division,
                f"daily API limit of division {division} reached (reserve "
                f"{self.config.get('daily_call_reserve', 0)}); it resets at "
                f"{exc.resets_at.isoformat()}: the next run resumes from the saved STATE",
            )
        except ExactOnlineAPIError as exc:
            self.abandon_partition(context)
            self.tap.record_failure(str(exc))
            if exc.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
                self.tap.stop_division(division, None)

    def finalize_state_progress_markers(self, state: dict | None = None) -> None:
        """Finalize STATE (SDK); after the run's last selected stream, report 4xx failures."""
        super().finalize_state_progress_markers(state)
        selected = [s for s in self.tap.streams.values() if s.selected]
        if state is None and selected and selected[-1] is self:
            self.tap.raise_failures()

    def prepare_partition(self, context: Context | None, division: int) -> None:
        """Hook run before the first request of a partition (may call the API)."""

    def abandon_partition(self, context: Context | None) -> None:
        """Keep the partition's previous bookmark when its sync stops early.

        Unsorted streams have only progress markers, which must not be promoted.
        """
        if context is None or not self.replication_key or self.is_sorted:
            return
        state = self.get_context_state(context)
        state.pop("progress_markers", None)

    @property
    def partitions(self) -> list[dict[str, t.Any]] | None:
        """One state partition per division: ``[{"Division": n}, ...]``; None if unpartitioned.

        The context key is the records' own ``Division`` field, so the SDK adds no extra
        field to the records.
        """
        if not self.partitioned:
            return None
        return [{"Division": d} for d in self.tap.divisions]


class _NoAuth(requests.auth.AuthBase):
    """Placeholder for the SDK's session auth: the real authenticator is applied per call."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request

