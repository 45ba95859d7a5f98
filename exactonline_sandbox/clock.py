"""The sandbox clock: real UTC time plus an offset that tests can advance.

Every time-dependent behaviour of the sandbox (access-token and refresh-token lifetimes,
authorization-code validity, rate-limit windows, ``Modified`` of later mutations, webhook
``EventCreatedOn``) reads :meth:`SandboxClock.now`, so ``POST /_sandbox/clock
{"advance_seconds": s}`` lets a test skip a 10-minute token lifetime in one call.
"""

from __future__ import annotations

import math
import threading
import time

#: How far the clock may be advanced in total: 100 years of seconds.
MAX_OFFSET_SECONDS = 100 * 365.25 * 86_400


class SandboxClock:
    """Epoch-seconds clock = ``time.time()`` + an offset that only grows.

    Args:
        minute_seconds: Length in real seconds of one rate-limit "minute" window (Exact: 60).
            Tests shorten it (e.g. 1.0) to exercise minutely limits quickly.

    Thread-safe: the offset is guarded by a lock (the webhook sender thread reads it).
    """

    def __init__(self, minute_seconds: float = 60.0) -> None:
        if minute_seconds <= 0:
            raise ValueError(f"minute_seconds must be > 0, got {minute_seconds!r}")
        self.minute_seconds = float(minute_seconds)
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Return the sandbox time in epoch seconds (UTC): real time plus the advanced offset."""
        with self._lock:
            offset = self._offset
        return time.time() + offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (>= 0).

        Raises:
            ValueError: ``seconds`` is negative (the clock never goes back), not finite, or
                would take the clock more than :data:`MAX_OFFSET_SECONDS` ahead (dates past
                that no longer fit Exact's ``/Date()/`` values or Python's datetime).
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"the sandbox clock only moves forward by a finite number of "
                             f"seconds; got {seconds!r}")
        with self._lock:
            if self._offset + seconds > MAX_OFFSET_SECONDS:
                raise ValueError(f"the sandbox clock may run at most {MAX_OFFSET_SECONDS:.0f} "
                                 f"seconds (100 years) ahead; it is {self._offset:.0f} ahead "
                                 f"and {seconds!r} more was asked")
            self._offset += float(seconds)

    @property
    def offset(self) -> float:
        """Seconds the clock has been advanced in total."""
        with self._lock:
            return self._offset
