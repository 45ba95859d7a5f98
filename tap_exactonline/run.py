"""What one tap run shares: its HTTP plumbing, the divisions it reads, and its outcome.

The tap builds ONE :class:`Run` and gives it to every stream; streams never reach back into
the tap. The run holds:

* ``http``: the single authenticator and rate limiter of the run (CONTRACTS §4, §5);
* the divisions: ``divisions`` from the settings, else every accessible one
  (``all_divisions``), else the CurrentDivision of ``/api/v1/current/Me``;
* Exact lookups the streams need per division (DivisionMoveDate, SyncTimestamp);
* the outcome: divisions stopped early (daily limit, no access) and the one-line failures that
  make the run exit non-zero once every stream has written its STATE;
* the run summary (:mod:`tap_exactonline.summary`): rows and bookmarks per stream and
  division, API calls per division, logged as one INFO table when the run ends.

Bookkeeping is guarded by a lock, so partitions of several divisions may run at once.
"""

from __future__ import annotations

import logging
import threading
import typing as t
from collections.abc import Callable, Mapping
from functools import cached_property

from tap_exactonline import odata
from tap_exactonline.api import ExactOnlineError, ExactOnlineHTTP
from tap_exactonline.auth import ExactOnlineAuthenticator
from tap_exactonline.ratelimit import DailyLimitReached, RateLimiter
from tap_exactonline.regions import resolve_base_url
from tap_exactonline.summary import RunSummary


class ReadSettler(t.Protocol):
    """Settles complete full-table reads (``fulltabledeletions.FullTableDeletions``)."""

    def settle(self, stream: str, division: int, keys: t.Collection[str],
               key_fields: t.Sequence[str], state: t.Mapping[str, t.Any], *,
               empty_is_valid: bool = False) -> list[dict[str, t.Any]]:
        """The tombstones to write after one complete read."""


class KeyRecorder(t.Protocol):
    """Records the keys a stream emits (``deletedetection.DeleteDetection``)."""

    def records_keys_of(self, stream: str) -> bool:
        """Whether the keys ``stream`` emits are recorded."""

    def record(self, stream: str, division: int, key: t.Any) -> None:
        """Record one emitted key."""


class Run:
    """The shared state of one tap run.

    Args:
        config: The tap's validated settings.
        logger: The tap's logger.
        selected_streams: Names of the selected streams in the order the tap syncs them; the
            run reports its failures when the last of them has finished.
    """

    def __init__(
        self,
        config: Mapping[str, t.Any],
        logger: logging.Logger,
        selected_streams: Callable[[], list[str]] = list,
    ) -> None:
        self.config = config
        self.logger = logger
        self.selected_streams = selected_streams
        self._lock = threading.Lock()
        self._stopped: set[int] = set()
        self.failures: list[str] = []
        self._division_rows: list[dict[str, t.Any]] | None = None
        #: The run's ``delete_detection`` (key recording, passes); set by the tap when it syncs.
        self.delete_detection: KeyRecorder | None = None
        #: The run's ``full_table_tombstones`` (``fulltabledeletions``); set when it syncs.
        self.full_table_deletions: ReadSettler | None = None
        self.summary = RunSummary()
        """Rows and bookmarks per partition, for the table at the end (``log_summary``)."""

    # -- HTTP ---------------------------------------------------------------------------------
    @cached_property
    def base_url(self) -> str:
        """Host URL for API and OAuth (``base_url`` wins over ``region``)."""
        return resolve_base_url(self.config)

    @cached_property
    def http(self) -> ExactOnlineHTTP:
        """The run's HTTP plumbing with its single authenticator and rate limiter."""
        authenticator = ExactOnlineAuthenticator.from_settings(self.config, logger=self.logger)
        limiter = RateLimiter(
            daily_call_reserve=int(self.config.get("daily_call_reserve") or 0), logger=self.logger
        )
        return ExactOnlineHTTP(self.base_url, authenticator, limiter, self.logger)

    # -- divisions ----------------------------------------------------------------------------
    @cached_property
    def divisions(self) -> list[int]:
        """Divisions of this run: ``divisions``, else all accessible, else CurrentDivision."""
        configured = [int(d) for d in self.config.get("divisions") or []]
        if self.config.get("all_divisions"):
            try:
                rows = self._divisions_list(configured[0] if configured else None)
            except DailyLimitReached as exc:
                # The division that lists the others has no calls left today: read only what
                # the config names (possibly nothing) and say so once.
                fallback = [d for d in configured if d != exc.division]
                self.stop_division(
                    exc.division,
                    f"daily API limit of division {exc.division} reached while listing "
                    f"divisions (all_divisions); it resets at {exc.resets_at.isoformat()}: "
                    f"this run reads {fallback or 'no division'}",
                )
                return fallback or [exc.division]
            return sorted(int(row["Code"]) for row in rows)
        if configured:
            return configured
        return [self.current_division]

    @cached_property
    def current_division(self) -> int:
        """CurrentDivision of ``/api/v1/current/Me`` (no daily-limit cost, fact sheet §3).

        Raises:
            ExactOnlineError: Exact named no CurrentDivision.
        """
        rows = self.http.get_rows(
            "current/Me",
            self.http.api_url("current", "Me"),
            {"$select": "CurrentDivision"},
            None,
        )
        if not rows or rows[0].get("CurrentDivision") is None:
            raise ExactOnlineError(
                "current/Me returned no CurrentDivision: set `divisions` in the config"
            )
        return int(rows[0]["CurrentDivision"])

    def _divisions_list(self, via: int | None) -> list[dict[str, t.Any]]:
        if self._division_rows is None:
            division = via if via is not None else self.current_division
            self._division_rows = self.http.get_rows(
                "system/Divisions",
                self.http.api_url(division, "system/Divisions"),
                {"$select": "Code,DivisionMoveDate"},
                division,
            )
        return self._division_rows

    def division_move_dates(self, via: int) -> dict[int, str | None]:
        """``DivisionMoveDate`` per accessible division, UTC ISO-8601 or None (never moved).

        One ``system/Divisions`` call per run (``$select=Code,DivisionMoveDate``), made
        through division ``via`` (any accessible division lists them all).
        """
        with self._lock:
            rows = self._divisions_list(via)
        moves: dict[int, str | None] = {}
        for row in rows:
            if row.get("Code") is not None:
                value = row.get("DivisionMoveDate")
                moves[int(row["Code"])] = odata.moment_to_utc(value) if value else None
        return moves

    def sync_timestamp(self, division: int, endpoint: str, start_date: str) -> int:
        """Timestamp to start a sync endpoint at ``start_date`` (read/sync/Sync/SyncTimestamp).

        Returns 1 when Exact gives no value.
        """
        rows = self.http.get_rows(
            f"SyncTimestamp {endpoint}",
            self.http.api_url(division, "read/sync/Sync/SyncTimestamp"),
            {
                "modified": odata.amsterdam_filter_datetime(start_date),
                "endPoint": f"'{endpoint}'",
            },
            division,
        )
        value = rows[0].get("TimeStampAsBigInt") if rows else None
        return int(value) if value else 1

    # -- outcome ------------------------------------------------------------------------------
    def division_stopped(self, division: int) -> bool:
        """Whether the run stopped reading ``division`` (daily limit or no access)."""
        return division in self._stopped

    def stop_division(self, division: int, warning: str | None) -> None:
        """Skip the division's remaining streams; log ``warning`` once if given."""
        with self._lock:
            first = division not in self._stopped
            self._stopped.add(division)
        if first and warning:
            self.logger.warning(warning)

    def record_failure(self, message: str) -> None:
        """Log a 4xx one-line message; the run exits non-zero at its end."""
        self.logger.error(message)
        with self._lock:
            self.failures.append(message)

    def stream_finished(self, name: str, state: Mapping[str, t.Any] | None = None) -> None:
        """Called when stream ``name`` has written its final STATE; ends the run if it failed.

        After the last selected stream the run summary is logged (``state``: the tap's STATE,
        for the final bookmarks), then the failures are raised.

        Raises:
            ExactOnlineError: ``name`` is the last selected stream and a partition failed.
        """
        selected = self.selected_streams()
        if selected and selected[-1] == name:
            self.log_summary(state or {})
            self.raise_failures()

    def raise_failures(self) -> None:
        """End the run with one line when a (stream, division) stopped on a 4xx.

        Called after the last selected stream finished and wrote its STATE.

        Raises:
            ExactOnlineError: One line naming the first failure (and how many more).
        """
        if self.failures:
            more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            raise ExactOnlineError(self.failures[0] + more)

    def log_summary(self, state: Mapping[str, t.Any]) -> None:
        """Log the run summary (one INFO table); nothing when no partition was read.

        Args:
            state: The tap's STATE at the end of the run.
        """
        if self.summary.empty:
            return
        http = self.__dict__.get("http")  # the cached property, only if the run built it
        calls = dict(http.calls) if http is not None else {}
        left = {d: http.limiter.budget(d)["day_remaining"] for d in calls} if http else {}
        self.logger.info(self.summary.render(state, calls, left))
