"""Client-side limiter for Exact Online's API rate limits, one budget per division.

Exact allows each app 60 calls per division per clock minute and 5,000 per division per day
(fact sheet §7, Exact KB "API limits"). Every division-scoped response carries six headers::

    X-RateLimit-Minutely-Limit: 60         X-RateLimit-Limit: 5000
    X-RateLimit-Minutely-Remaining: 58     X-RateLimit-Remaining: 4766
    X-RateLimit-Minutely-Reset: 1683879540000   X-RateLimit-Reset: 1683936000000

Both resets are UTC epoch **milliseconds** (next whole minute; next 00:00 UTC). On a minutely
429 Exact sends only the three minutely headers. Calls without a division in the URL
(``/api/v1/current/Me``, the token endpoint) are not limited and carry no headers.

:class:`RateLimiter` keeps, per division, what the last response said and counts the calls it
lets out since, so that it never sends a call the server would refuse:

* **Pacing.** The first quarter of a minute's calls go out at once (a short run is not
  slowed down); after that, the calls left in the minute are spread evenly over the time left
  to the minutely reset (next call at ``last + time_left / (remaining + 1)``), so that a long
  sync runs at the limit and never over it.
* **Minute used up.** When no call is left, :meth:`RateLimiter.before_request` sleeps until
  the minutely reset (plus a small margin) and goes on with a fresh minute.
* **Daily reserve.** When the division's remaining daily calls are ``<= daily_call_reserve``,
  :meth:`RateLimiter.before_request` raises :class:`DailyLimitReached` instead of calling.
* **429.** :meth:`RateLimiter.wait_after_429` sleeps until the minutely reset given by the
  headers, or the next clock minute when they are missing; a daily 429 raises
  :class:`DailyLimitReached`.

Times in headers are the server's clock. The limiter estimates the offset between the server's
clock and the local one from the headers alone (a minutely reset lies within one minute after
the server's "now"), and learns the length of the server's minute from consecutive resets
(Exact: 60 s; the sandbox can shorten it), so a skewed clock makes it more careful, never
over the limit. Thread-safe: one limiter serves every division of a process; sleeping happens
outside the lock, so divisions do not wait for each other.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

EXACT_MINUTE_SECONDS = 60.0
"""Length of Exact's minutely window; the largest window the limiter assumes."""
DAY_SECONDS = 86400.0
BURST_FRACTION = 0.25
"""Share of a minute's calls that go out without pacing at the start of a minute."""
MARGIN_FRACTION = 0.02
MAX_MARGIN_SECONDS = 0.25
"""Extra wait after a reset: 2% of the minute, at most 0.25 s (clock skew, rounding)."""
LOG_WAITS_FROM_SECONDS = 5.0
"""Waits at least this long are logged at INFO; shorter ones at DEBUG."""

H_DAILY_LIMIT = "x-ratelimit-limit"
H_DAILY_REMAINING = "x-ratelimit-remaining"
H_DAILY_RESET = "x-ratelimit-reset"
H_MINUTELY_LIMIT = "x-ratelimit-minutely-limit"
H_MINUTELY_REMAINING = "x-ratelimit-minutely-remaining"
H_MINUTELY_RESET = "x-ratelimit-minutely-reset"


class DailyLimitReached(Exception):
    """The division's daily call allowance (less the reserve) is used up.

    Attributes:
        division: Exact division code whose allowance is used up.
        resets_at: When Exact resets the allowance (UTC, timezone-aware; Exact: 00:00 UTC).
    """

    def __init__(self, division: int, resets_at: datetime) -> None:
        self.division = division
        self.resets_at = resets_at
        super().__init__(
            f"daily API call allowance of division {division} is used up; "
            f"it resets at {resets_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        )

    def __reduce__(self) -> tuple[type[DailyLimitReached], tuple[int, datetime]]:
        return (DailyLimitReached, (self.division, self.resets_at))


@dataclass
class _DivisionBudget:
    """What the limiter knows about one division. Resets are server epoch seconds."""

    minute_limit: int | None = None
    minute_remaining: int | None = None
    minute_reset: float | None = None
    day_limit: int | None = None
    day_remaining: int | None = None
    day_reset: float | None = None
    last_minute_header: float | None = None
    last_day_header: float | None = None
    last_slot: float = -math.inf
    in_flight: int = 0
    refused_in_a_row: int = 0


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(key).lower(): value for key, value in headers.items()}


def _int(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _epoch_ms(headers: dict[str, str], name: str) -> float | None:
    value = _int(headers, name)
    return None if value is None or value <= 0 else value / 1000.0


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)


class RateLimiter:
    """Keeps each division's calls within Exact's minutely and daily limits.

    Args:
        daily_call_reserve: Daily calls to leave unused per division (for other apps' work or
            manual fixes); :meth:`before_request` raises :class:`DailyLimitReached` when the
            remaining daily calls are ``<=`` this. ``0`` uses the whole allowance.
        logger: Where waits are logged (INFO from 5 s, else DEBUG).
        time_func: Clock, epoch seconds (injectable for tests).
        sleep_func: Sleeps the given seconds (injectable for tests).

    Raises:
        ValueError: ``daily_call_reserve`` is negative.
    """

    def __init__(
        self,
        *,
        daily_call_reserve: int = 0,
        logger: logging.Logger | None = None,
        time_func: Callable[[], float] = time.time,
        sleep_func: Callable[[float], None] = time.sleep,
    ) -> None:
        if daily_call_reserve < 0:
            raise ValueError(
                f"daily_call_reserve must be 0 or more, got {daily_call_reserve}"
            )
        self.daily_call_reserve = int(daily_call_reserve)
        self.logger = logger or logging.getLogger(__name__)
        self._time = time_func
        self._sleep = sleep_func
        self._lock = threading.Lock()
        self._thread = threading.local()
        self._budgets: dict[int, _DivisionBudget] = {}
        self._minute = EXACT_MINUTE_SECONDS
        self._offset_low = -math.inf  # server clock - local clock >= this
        self._offset_high = math.inf  # server clock - local clock < this

    # -- the contract (CONTRACTS §5) ---------------------------------------------------------
    def before_request(self, division: int | None) -> None:
        """Wait until a call to ``division`` may go out; count it.

        Paces calls within the minute, sleeps until the minutely reset when the minute is used
        up. Calls with ``division=None`` are not limited.

        Raises:
            DailyLimitReached: The division's remaining daily calls are ``<=
                daily_call_reserve`` (nothing is counted then).
        """
        if division is None:
            return
        with self._lock:
            self._release_unanswered()
            now = self._time()
            budget = self._budgets.setdefault(division, _DivisionBudget())
            slot, reason = self._reserve(division, budget, now)
            self._thread.pending = division
        self._thread.started = slot
        self._wait(division, slot - now, reason)

    def after_response(
        self, division: int | None, status: int, headers: Mapping[str, str]
    ) -> None:
        """Take the ``X-RateLimit-*`` headers of a response (any status) into account.

        Args:
            division: The division of the request; ``None`` is ignored.
            status: HTTP status of the response (informational).
            headers: Response headers (any case); resets are epoch milliseconds.
        """
        if division is None:
            return
        lowered = _lower(headers)
        with self._lock:
            budget = self._budgets.setdefault(division, _DivisionBudget())
            if getattr(self._thread, "pending", None) == division:
                self._thread.pending = None
                budget.in_flight = max(0, budget.in_flight - 1)
            if status != 429:
                budget.refused_in_a_row = 0
            self._absorb(budget, lowered, self._time())

    def wait_after_429(self, division: int | None, headers: Mapping[str, str]) -> None:
        """Sleep until the minutely reset of a 429's headers (next clock minute if missing).

        The caller retries the request afterwards (through :meth:`before_request`).

        Raises:
            DailyLimitReached: The 429's headers say the daily allowance is used up
                (remaining ``<= daily_call_reserve``); waiting until then makes no sense.
        """
        lowered = _lower(headers)
        with self._lock:
            now = self._time()
            if division is None:
                target = self._next_boundary(now)
                reason = "429 Too Many Requests on a call without a division"
            else:
                budget = self._budgets.setdefault(division, _DivisionBudget())
                self._absorb(budget, lowered, now)
                day_remaining = _int(lowered, H_DAILY_REMAINING)
                if day_remaining is not None and day_remaining <= self.daily_call_reserve:
                    raise DailyLimitReached(division, self._day_reset_utc(budget, now))
                reset = _epoch_ms(lowered, H_MINUTELY_RESET)
                if reset is not None:
                    target = min(reset - self._offset(), now + self._minute)
                    reason = f"429 Too Many Requests; waiting for the minutely reset of {division}"
                else:
                    target = self._next_boundary(now)
                    reason = f"429 Too Many Requests without reset header; division {division}"
                # Woken too early again (server clock behind ours): wait longer each time.
                target += min(self._minute, self._margin() * 2 ** min(budget.refused_in_a_row, 12))
                budget.refused_in_a_row += 1
                self._start_fresh_minute(budget, target)
            slot = max(now, target)
        self._wait(division, slot - now, reason)

    # -- introspection (logs, tests, benchmarks) -----------------------------------------------
    def budget(self, division: int) -> dict[str, float | int | None]:
        """What the limiter currently assumes for ``division`` (copies; resets epoch s)."""
        with self._lock:
            budget = self._budgets.get(division, _DivisionBudget())
            return {
                "minute_limit": budget.minute_limit,
                "minute_remaining": budget.minute_remaining,
                "minute_reset": budget.minute_reset,
                "day_limit": budget.day_limit,
                "day_remaining": budget.day_remaining,
                "day_reset": budget.day_reset,
                "minute_seconds": self._minute,
                "clock_offset": self._offset(),
            }

    # -- internals (called with the lock held) -------------------------------------------------
    def _release_unanswered(self) -> None:
        """Forget this thread's previous call if no response came (connection reset, timeout).

        A thread sends one call at a time, so a new call means the previous one is over.
        """
        pending = getattr(self._thread, "pending", None)
        if pending is not None:
            budget = self._budgets.get(pending)
            if budget is not None:
                budget.in_flight = max(0, budget.in_flight - 1)
            self._thread.pending = None

    def _offset(self) -> float:
        """Best estimate of server clock minus local clock, seconds (0 unless shown else)."""
        return min(max(0.0, self._offset_low), self._offset_high)

    def _margin(self) -> float:
        return min(MAX_MARGIN_SECONDS, MARGIN_FRACTION * self._minute)

    def _next_boundary(self, now: float) -> float:
        """Local time of the server's next clock-minute boundary."""
        server_now = now + self._offset()
        return (math.floor(server_now / self._minute) + 1) * self._minute - self._offset()

    def _day_reset_utc(self, budget: _DivisionBudget, now: float) -> datetime:
        if budget.day_reset is not None:
            return _utc(budget.day_reset)
        server_now = now + self._offset()
        return _utc((math.floor(server_now / DAY_SECONDS) + 1) * DAY_SECONDS)

    def _start_fresh_minute(self, budget: _DivisionBudget, local_time: float) -> None:
        """Assume a new minute begins at ``local_time`` (after sleeping for a reset)."""
        server_time = local_time + self._offset()
        budget.minute_reset = (math.floor(server_time / self._minute) + 1) * self._minute
        if budget.minute_limit is not None:
            # Calls already booked but not answered may land in the new minute.
            budget.minute_remaining = budget.minute_limit - budget.in_flight
        budget.last_slot = local_time

    def _reserve(self, division: int, budget: _DivisionBudget, now: float) -> tuple[float, str]:
        """Book the next call of ``division``: return its local start time and why it waits."""
        offset = self._offset()
        server_now = now + offset
        if budget.day_reset is not None and server_now >= budget.day_reset:
            budget.day_remaining, budget.day_reset = budget.day_limit, None
        if budget.day_remaining is not None and budget.day_remaining <= self.daily_call_reserve:
            raise DailyLimitReached(division, self._day_reset_utc(budget, now))

        slot, reason = now, ""
        if budget.minute_reset is not None and server_now >= budget.minute_reset:
            self._start_fresh_minute(budget, now)
            budget.last_slot = -math.inf
        remaining, limit, reset = budget.minute_remaining, budget.minute_limit, budget.minute_reset
        if remaining is not None and reset is not None:
            local_reset = min(reset - offset, now + self._minute)
            if remaining <= 0:
                slot = local_reset + self._margin()
                reason = f"minutely limit of division {division} used up; waiting for the reset"
                self._start_fresh_minute(budget, slot)
            elif limit is not None and limit - remaining >= math.ceil(limit * BURST_FRACTION):
                base = max(budget.last_slot, local_reset - self._minute)
                paced = base + max(0.0, local_reset - base) / (remaining + 1)
                if paced > now:
                    slot = paced
                    reason = f"pacing division {division}: {remaining} calls left this minute"
        if budget.minute_remaining is not None:
            budget.minute_remaining -= 1
        if budget.day_remaining is not None:
            budget.day_remaining -= 1
        budget.last_slot = slot
        budget.in_flight += 1
        return slot, reason

    def _absorb(self, budget: _DivisionBudget, headers: dict[str, str], now: float) -> None:
        """Update ``budget`` (and the clock estimates) from one response's headers."""
        started = getattr(self._thread, "started", None)
        minute_reset = _epoch_ms(headers, H_MINUTELY_RESET)
        if minute_reset is not None:
            self._learn_clock(budget, minute_reset, now, started)
            if budget.last_minute_header is None or minute_reset >= budget.last_minute_header:
                budget.last_minute_header = minute_reset
                budget.minute_reset = minute_reset
                limit = _int(headers, H_MINUTELY_LIMIT)
                remaining = _int(headers, H_MINUTELY_REMAINING)
                if limit is not None:
                    budget.minute_limit = limit
                if remaining is not None:
                    budget.minute_remaining = remaining - budget.in_flight
        day_reset = _epoch_ms(headers, H_DAILY_RESET)
        day_remaining = _int(headers, H_DAILY_REMAINING)
        if day_remaining is not None and (
            day_reset is None
            or budget.last_day_header is None
            or day_reset >= budget.last_day_header
        ):
            if day_reset is not None:
                budget.last_day_header = day_reset
                budget.day_reset = day_reset
            limit = _int(headers, H_DAILY_LIMIT)
            if limit is not None:
                budget.day_limit = limit
            budget.day_remaining = day_remaining - budget.in_flight

    def _learn_clock(
        self, budget: _DivisionBudget, reset: float, now: float, started: float | None
    ) -> None:
        """Narrow the minute length and the clock offset with one minutely reset.

        A reset lies in ``(server_now, server_now + minute]``; consecutive distinct resets of
        one division differ by a whole number of minutes.
        """
        previous = budget.last_minute_header
        if previous is not None and reset > previous:
            self._minute = max(0.05, min(self._minute, reset - previous))
        self._offset_low = max(self._offset_low, reset - self._minute - now)
        if started is not None and math.isfinite(started):
            self._offset_high = min(self._offset_high, reset - min(started, now))

    def _wait(
        self, division: int | None, seconds: float, reason: str, level: int = logging.DEBUG
    ) -> None:
        if seconds <= 0:
            return
        if seconds >= LOG_WAITS_FROM_SECONDS:
            level = max(level, logging.INFO)
        if self.logger.isEnabledFor(level):
            self.logger.log(level, "%s: sleeping %.2f s", reason or f"division {division}", seconds)
        self._sleep(seconds)
