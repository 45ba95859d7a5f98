"""A fixed-window Exact rate-limit counter on a fake clock, for the limiter's arithmetic.

It answers like Exact (fact sheet §7): six ``X-RateLimit-*`` headers with epoch-ms resets;
a minutely 429 carries only the three minutely headers; refused calls use no quota. The
behaviour against the real sandbox process is tested in ``test_sandbox_limits.py``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field


@dataclass
class FakeClock:
    """Local clock; ``sleep`` advances it and records the waits."""

    now: float = 1_700_000_010.0
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class VirtualClock(FakeClock):
    """A fake clock shared by threads: time moves only while every worker sleeps.

    A thread's ``sleep`` blocks until the clock reaches its wake-up time; the clock jumps to the
    earliest wake-up as soon as every one of the ``workers`` threads is asleep or has called
    :meth:`done`. So nothing a thread does between two sleeps takes time (a reservation and the
    call it reserved for always fall in the same window), and the result does not depend on how
    busy the machine is, while the threads still interleave freely around the limiter's lock.
    """

    def __init__(self, now: float, workers: int) -> None:
        super().__init__(now=now)
        self._cond = threading.Condition()
        self._active = workers
        self._asleep: list[float] = []  # wake-up times of the sleeping threads

    def time(self) -> float:
        with self._cond:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._cond:
            self.sleeps.append(seconds)
            if seconds == 0:
                return
            wake = self.now + seconds
            self._asleep.append(wake)
            self._advance()
            while self.now < wake:
                self._cond.wait()

    def done(self) -> None:
        """The calling worker has finished (it will not sleep again)."""
        with self._cond:
            self._active -= 1
            self._advance()

    def _advance(self) -> None:
        if self._asleep and len(self._asleep) >= self._active:
            self.now = max(self.now, min(self._asleep))
            self._asleep = [w for w in self._asleep if w > self.now]
            self._cond.notify_all()


@dataclass
class SimulatedExact:
    """Per-division fixed windows; ``offset`` = server clock minus local clock."""

    clock: FakeClock
    minute_seconds: float = 60.0
    minutely_limit: int = 60
    daily_limit: int = 5000
    offset: float = 0.0
    used_minute: dict[tuple[int, int], int] = field(default_factory=dict)
    used_day: dict[tuple[int, int], int] = field(default_factory=dict)
    rate_limited: int = 0
    calls: list[tuple[int, float]] = field(default_factory=list)

    def call(self, division: int) -> tuple[int, dict[str, str]]:
        """One API call now: (status, headers)."""
        now = self.clock.now + self.offset
        window = math.floor(now / self.minute_seconds)
        day = math.floor(now / 86400)
        minute_reset = str(round((window + 1) * self.minute_seconds * 1000))
        day_reset = str(int((day + 1) * 86400 * 1000))
        used_m = self.used_minute.get((division, window), 0)
        used_d = self.used_day.get((division, day), 0)
        if used_d >= self.daily_limit:
            self.rate_limited += 1
            return 429, {
                "X-RateLimit-Limit": str(self.daily_limit), "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": day_reset,
                "X-RateLimit-Minutely-Limit": str(self.minutely_limit),
                "X-RateLimit-Minutely-Remaining": str(self.minutely_limit - used_m),
                "X-RateLimit-Minutely-Reset": minute_reset,
            }
        minutely = {"X-RateLimit-Minutely-Limit": str(self.minutely_limit),
                    "X-RateLimit-Minutely-Reset": minute_reset}
        if used_m >= self.minutely_limit:
            self.rate_limited += 1
            return 429, {**minutely, "X-RateLimit-Minutely-Remaining": "0"}
        self.used_minute[(division, window)] = used_m + 1
        self.used_day[(division, day)] = used_d + 1
        self.calls.append((division, now))
        return 200, {
            **minutely,
            "X-RateLimit-Minutely-Remaining": str(self.minutely_limit - used_m - 1),
            "X-RateLimit-Limit": str(self.daily_limit),
            "X-RateLimit-Remaining": str(self.daily_limit - used_d - 1),
            "X-RateLimit-Reset": day_reset,
        }

    def calls_per_window(self, division: int) -> list[int]:
        counts: dict[int, int] = {}
        for div, at in self.calls:
            if div == division:
                w = math.floor(at / self.minute_seconds)
                counts[w] = counts.get(w, 0) + 1
        return [counts[w] for w in sorted(counts)]
