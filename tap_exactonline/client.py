"""The base stream: what every Exact Online stream shares (sent through ``api.ExactOnlineHTTP``).

``ExactOnlineStream`` owns what every stream shares: the URL
``{base}/api/v1/{division}/{endpoint}``, ``Accept: application/json``, ``$select`` of exactly
the selected properties, paging by following ``__next`` verbatim, response unwrap, record
conversion and error mapping; calls go through the run's ``api.ExactOnlineHTTP`` (rate
limiter, 401 handling). The three families
(:class:`SyncStream`, :class:`ModifiedStream`, :class:`FullTableStream`) live in
``streams.py``.

Sources: fact sheet §3-§8 (envelopes, paging, page sizes, error envelope, rate limits);
CONTRACTS §4 (authenticator) and §5 (rate limiter).
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Mapping
from functools import cached_property
from http import HTTPStatus

import backoff
import msgspec
import requests
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseHATEOASPaginator
from singer_sdk.singerlib import RecordMessage
from singer_sdk.streams import RESTStream
from singer_sdk.streams.rest import HTTPRequest, PageContext

from tap_exactonline import odata
from tap_exactonline.api import (
    REQUEST_TIMEOUT,
    ExactOnlineAPIError,
    PageLoopError,
    api_error_message,
    odata_query,
    response_payload,
)
from tap_exactonline.ratelimit import DailyLimitReached

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_exactonline.run import Run

_RECORDS = "_exact_records"  # the converted records of a page, kept on its response
_LOOP = "_exact_next_loop"  # a PageLoopError for a page whose __next leads back


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

    Class attributes set by the stream declarations (streams.py, from streamtable.py):
        endpoint: Path under ``/api/v1/{division}/``, e.g. ``sync/Financial/TransactionLines``.
        extra_fields: Schema fields the tap adds that Exact does not have (never in $select).
    """

    endpoint: str = ""
    extra_fields: frozenset[str] = frozenset()
    partitioned: bool = True
    read_complete: bool = False
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # records are converted here
    _LOG_REQUEST_METRICS = False

    def __init__(self, tap: t.Any, *args: t.Any, run: Run, **kwargs: t.Any) -> None:
        """Build the stream of ``tap``; ``run`` is what the run's streams share (``run.Run``)."""
        super().__init__(tap, *args, **kwargs)
        self.run = run
        self._plan_cache: tuple[tuple[str, t.Any], ...] | None = None
        self._min_values: dict[str, int] = {}
        self._pages_read: set[str] = set()
        self._current_division = 0

    # -- URL, headers, query ------------------------------------------------------------------
    @property
    def url_base(self) -> str:
        """``{base}/api/v1``."""
        return f"{self.run.base_url}/api/v1"

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
        divisions = self.run.divisions
        return next((d for d in divisions if not self.run.division_stopped(d)), divisions[0])

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
        response = self.run.http.send(
            prepared_request, division, session=self.requests_session, timeout=self.timeout
        )
        self.validate_response(response)
        return response

    def validate_response(self, response: requests.Response) -> None:
        """Map statuses; convert the page's rows; refuse a page that cannot be records.

        The rows are converted here, before any of them is emitted, and kept on the response
        for :meth:`parse_response`: a page with one bad row is retried whole and never
        reaches a record or STATE. A ``__next`` link back to a page this partition already
        read ends the partition after this page's records
        (:class:`~tap_exactonline.api.PageLoopError`, raised by :meth:`parse_response`).

        Raises:
            RetriableAPIError: 5xx, 429, a 2xx body that is not complete valid JSON, or a
                page that cannot be records (``d.results`` not a list, a row without its
                key, a bad Timestamp or date): one line naming stream, division and field.
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
            rows, next_url = odata.unwrap(response_payload(response))
        except (msgspec.DecodeError, ValueError) as exc:
            raise RetriableAPIError(
                f"{self.name}: division {division}: unreadable response body ({exc})", response
            ) from None
        try:
            records = list(self.records_of(rows, self._current_division))
        except odata.BadValue as exc:
            raise RetriableAPIError(
                f"{self.name}: division {division}: a row Exact sent cannot be a record: {exc}",
                response,
            ) from None
        rows.clear()  # converted: only the records are kept
        setattr(response, _RECORDS, records)
        setattr(response, _LOOP, self._next_loop(response, next_url, division))

    def _next_loop(self, response: requests.Response, next_url: str | None,
                   division: int | None) -> PageLoopError | None:
        """The error for a ``__next`` link to a page this partition already read, if any."""
        pages = self._pages_read
        pages.add(str(response.request.url))
        if next_url is None or next_url not in pages:
            return None
        return PageLoopError(
            f"{self.name}: division {division}: Exact's __next link points back to a page "
            f"already read, after {len(pages)} pages (a paging loop): the partition stops "
            "there; run again later"
        )

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
        """Yield the records of one page (converted and checked by :meth:`validate_response`).

        The page's records are dropped once yielded (its rows were dropped once converted;
        the page's ``__next`` stays for the paginator), so a reader holds one page, not two,
        while it asks for the next.
        """
        records = getattr(response, _RECORDS, None)
        if records is None:  # not sent through validate_response (e.g. the SDK's tests)
            records = list(self.records_of(odata.unwrap(response_payload(response))[0],
                                           self._current_division))
        yield from records
        records.clear()
        self.after_page()
        loop = getattr(response, _LOOP, None)
        if loop is not None:  # the page was good; the link after it leads back
            raise loop

    def after_page(self) -> None:
        """Hook run after the last row of a page has been emitted."""

    def records_of(self, rows: list[dict[str, t.Any]], division: int) -> Iterable[dict]:
        """Convert the rows of one page (see :meth:`convert`) and check each record.

        Raises:
            odata.BadValue: A row that cannot be a valid record.
        """
        convert, check = self.convert, self.check_record
        for row in rows:
            record = convert(row, division)
            check(record)
            yield record

    def check_record(self, record: dict[str, t.Any]) -> None:
        """Refuse a record without its key (a row Exact sent that names no entity).

        Raises:
            odata.BadValue: A key field is missing or null.
        """
        for key in self.primary_keys or ():
            if record.get(key) is None:
                raise odata.BadValue(key, None, "the row has no value for its key")

    def _generate_record_messages(self, record: dict) -> t.Generator[RecordMessage, None, None]:
        """RECORD messages of one record through the stream maps (SDK), without two passes.

        :meth:`convert` emits exactly the selected fields (``plan`` is built from the
        selection mask; keys and the replication key are always selected) and
        ``TYPE_CONFORMANCE_LEVEL`` is NONE, so the SDK's per-record deselection and
        conformance passes would change nothing; they were most of the tap's CPU per row.
        """
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )

    def convert(self, row: Mapping[str, t.Any], division: int) -> dict[str, t.Any]:
        """Exact row -> record: selected fields only, dates per the date rule, Division set.

        DateTime.MinValue dates become null (counted, one WARNING per stream at its end).

        Raises:
            odata.BadValue: A date field holds something that is not a date.
        """
        record = odata.convert_record(row, self.plan, self._min_values)
        if record.get("Division") is None:
            record["Division"] = division
        return record

    def warn_min_values(self) -> None:
        """One WARNING for the DateTime.MinValue dates this stream emitted as null, if any."""
        if not self._min_values:
            return
        fields = ", ".join(f"{name} {n}" for name, n in sorted(self._min_values.items()))
        self.logger.warning(
            "%s: %d dates were DateTime.MinValue (/Date(-62135596800000)/, Exact's 'no date') "
            "and were emitted as null: %s",
            self.name,
            sum(self._min_values.values()),
            fields,
        )
        self._min_values.clear()

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Read one division; a daily limit or a 4xx stops this partition, not the run.

        ``read_complete`` is True once the last page has been read (False while reading and
        after a partition that stopped early).
        """
        division = self.division_of(context)
        self._current_division = division
        self._pages_read = set()
        self.read_complete = False
        if self.run.division_stopped(division):
            self.logger.info("%s: division %s skipped (stopped earlier)", self.name, division)
            return
        shown = division if self.partitioned else None
        bookmark = self.get_context_state(context).get("replication_key_value")
        self.run.summary.partition_started(self.name, shown, bookmark)
        rows = 0
        try:
            self.prepare_partition(context, division)
            for record in self.request_records(context):
                rows += 1
                yield record
            self.read_complete = True
        except DailyLimitReached as exc:
            self.abandon_partition(context)
            self.run.stop_division(
                division,
                f"daily API limit of division {division} reached (reserve "
                f"{self.config.get('daily_call_reserve', 0)}); it resets at "
                f"{exc.resets_at.isoformat()}: the next run resumes from the saved STATE",
            )
        except ExactOnlineAPIError as exc:
            self.abandon_partition(context)
            self.run.record_failure(str(exc))
            if exc.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
                self.run.stop_division(division, None)
        except PageLoopError as exc:
            self.abandon_partition(context)
            self.run.record_failure(str(exc))
        finally:
            self.run.summary.rows_read(self.name, shown, rows)

    def finalize_state_progress_markers(self, state: dict | None = None) -> None:
        """Finalize STATE (SDK), then tell the run this stream has finished (4xx report)."""
        super().finalize_state_progress_markers(state)
        if state is None:
            self.warn_min_values()
            self.run.stream_finished(self.name, self.tap_state)

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
        return [{"Division": d} for d in self.run.divisions]


class _NoAuth(requests.auth.AuthBase):
    """Placeholder for the SDK's session auth: the real authenticator is applied per call."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request

