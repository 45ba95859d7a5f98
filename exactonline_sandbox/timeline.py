"""When the sandbox's data happens: the span ending at ``--as-of``, each division's fiscal year.

Pure functions, no I/O. Times are UTC milliseconds; calendar dates are ``/Date()/`` milliseconds
of midnight (see :func:`~exactonline_sandbox.odata.date_ms`).

* :class:`Span`: the generated data runs from 2 January two calendar years before the as-of
  date up to the start of the as-of day (Amsterdam time), so with the default (today) nothing
  lies in the future of the running sandbox, and "last closed month" and "days past due" mean
  something on the day the sandbox is started; Exact's reports count the as-of day as today.
* Fiscal years: a division's financial year starts on the first day of ``fiscal_start`` (1 =
  January, 4 = April, ...) and is named after the calendar year it starts in (April 2025 -
  March 2026 is financial year 2025), with 12 monthly periods numbered from 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

DAY = 86_400_000


def day_ms(day: date) -> int:
    """Midnight of a calendar date as `/Date()/` milliseconds (UTC)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)


@dataclass(frozen=True)
class Span:
    """The time window of a sandbox's generated data.

    Attributes:
        as_of: The day the data ends (``--as-of``; default today).
        setup: UTC ms when the chart of accounts was set up (a month before ``start``).
        start: UTC ms of the first generated event (2 January of ``as_of.year - 2``).
        end: UTC ms after the last generated event (22:00 UTC the day before ``as_of``: at
            or before midnight in Amsterdam).
    """

    as_of: date
    setup: int
    start: int
    end: int

    @classmethod
    def ending(cls, as_of: date) -> Span:
        """The span of data that ends on ``as_of``."""
        start = day_ms(date(as_of.year - 2, 1, 2))
        return cls(as_of=as_of, setup=start - 32 * DAY, start=start,
                   end=day_ms(as_of) - 2 * 3_600_000)

    @property
    def first_day(self) -> int:
        """Calendar date (``/Date()/`` ms) of the first day with entries."""
        return self.start - self.start % DAY

    @property
    def last_day(self) -> int:
        """Calendar date (``/Date()/`` ms) of the as-of day."""
        return day_ms(self.as_of)


@lru_cache(maxsize=8192)
def fiscal_period(day_ms: int, fiscal_start: int = 1) -> tuple[int, int]:
    """(FinancialYear, FinancialPeriod) of a date, the year starting in month ``fiscal_start``.

    Example: 2025-03-15 with an April year -> (2024, 12); 2025-04-01 -> (2025, 1).
    """
    day = datetime.fromtimestamp(day_ms / 1000, tz=timezone.utc)
    months = day.year * 12 + day.month - 1 - (fiscal_start - 1)
    return months // 12, months % 12 + 1


def period_bounds(year: int, period: int, fiscal_start: int = 1) -> tuple[int, int]:
    """(StartDate, EndDate) of a financial period as ``/Date()/`` ms (EndDate = its last day)."""
    months = year * 12 + (fiscal_start - 1) + period - 1
    first = date(months // 12, months % 12 + 1, 1)
    following = date((months + 1) // 12, (months + 1) % 12 + 1, 1)
    return day_ms(first), day_ms(following - timedelta(days=1))


def fiscal_years(span: Span, fiscal_start: int) -> range:
    """Financial years from the one of the first entry to the one holding the as-of date."""
    first, _ = fiscal_period(span.first_day, fiscal_start)
    last, _ = fiscal_period(span.last_day, fiscal_start)
    return range(first, last + 1)
