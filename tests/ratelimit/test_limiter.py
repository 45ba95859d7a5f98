"""The limiter's arithmetic on a fake clock against a simulated fixed-window counter.

Behaviour against the real sandbox process (tap runs) is in ``test_sandbox_limits.py``.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tap_exactonline.ratelimit import DailyLimitReached, RateLimiter
from tests.ratelimit.simulated import FakeClock, SimulatedExact, VirtualClock

FIXTURE = (Path(__file__).resolve().parents[1] / "fixtures" / "exact"
           / "http_response_headers_picqer_issue_609_2023.txt")


def drive(limiter: RateLimiter, server: SimulatedExact, division: int, calls: int,
          latency: float = 0.05) -> int:
    """Make ``calls`` successful calls the way the tap does; return the 429s seen."""
    seen_429 = 0
    done = 0
    while done < calls:
        limiter.before_request(division)
        status, headers = server.call(division)
        server.clock.now += latency
        limiter.after_response(division, status, headers)
        if status == 429:
            seen_429 += 1
            limiter.wait_after_429(division, headers)
            continue
        done += 1
    return seen_429


def test_long_sync_runs_at_the_limit_and_never_over_it():
    clock = FakeClock()
    server = SimulatedExact(clock)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    assert drive(limiter, server, 3100001, 600) == 0
    assert server.rate_limited == 0
    windows = server.calls_per_window(3100001)
    # every full minute is used completely (the first one only from where the run started)
    assert windows[1:-1] == [60] * (len(windows) - 2)
    assert len(windows) <= 11


def test_calls_within_the_minute_are_spread_not_bunched():
    clock = FakeClock(now=1_700_000_040.0)  # minute boundary every 60 s; run starts at :00
    server = SimulatedExact(clock)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    drive(limiter, server, 7, 60, latency=0.01)
    times = [at for _, at in server.calls]
    assert server.calls_per_window(7) == [60]
    # after the first quarter (burst), calls are spaced about evenly up to the reset
    gaps = [b - a for a, b in itertools.pairwise(times[15:])]
    assert min(gaps) > 0.9
    assert times[-1] < 1_700_000_100.0


def test_short_run_is_not_slowed_down():
    clock = FakeClock()
    server = SimulatedExact(clock)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    drive(limiter, server, 7, 10)
    assert clock.sleeps == []


def test_divisions_have_separate_budgets_and_none_is_not_limited():
    clock = FakeClock()
    server = SimulatedExact(clock, minutely_limit=5)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    drive(limiter, server, 1, 5, latency=0.0)
    drive(limiter, server, 2, 5, latency=0.0)
    assert server.rate_limited == 0
    for _ in range(100):
        limiter.before_request(None)
        limiter.after_response(None, 200, {})
    assert clock.sleeps == [] or sum(clock.sleeps) < 60


def test_daily_reserve_stops_only_that_division():
    clock = FakeClock(now=1_700_000_010.0)
    server = SimulatedExact(clock, daily_limit=20)
    limiter = RateLimiter(daily_call_reserve=5, time_func=clock.time, sleep_func=clock.sleep)
    drive(limiter, server, 1, 15)
    with pytest.raises(DailyLimitReached) as caught:
        limiter.before_request(1)
    assert caught.value.division == 1
    assert caught.value.resets_at == datetime(2023, 11, 15, 0, 0, tzinfo=timezone.utc)
    assert "division 1" in str(caught.value)
    assert "2023-11-15T00:00:00Z" in str(caught.value)
    assert len(server.calls) == 15  # the reserve of 5 is left
    drive(limiter, server, 2, 15)  # another division goes on


def test_daily_allowance_comes_back_after_the_daily_reset():
    clock = FakeClock(now=1_700_006_390.0)  # 2023-11-14 23:59:50 UTC
    server = SimulatedExact(clock, daily_limit=3)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    drive(limiter, server, 1, 3)
    with pytest.raises(DailyLimitReached):
        limiter.before_request(1)
    clock.now += 15
    drive(limiter, server, 1, 3)
    assert server.rate_limited == 0


def test_daily_429_raises_instead_of_waiting_a_day():
    clock = FakeClock()
    server = SimulatedExact(clock, daily_limit=2)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    server.used_day[(1, int(clock.now // 86400))] = 2  # another run used it up
    limiter.before_request(1)
    status, headers = server.call(1)
    limiter.after_response(1, status, headers)
    assert status == 429
    with pytest.raises(DailyLimitReached):
        limiter.wait_after_429(1, headers)
    assert clock.sleeps == []


def test_429_waits_for_the_header_reset_or_the_next_clock_minute():
    clock = FakeClock(now=1_700_000_015.5)  # 15.5 s into a minute (minute ends at ...060)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    limiter.wait_after_429(1, {"X-RateLimit-Minutely-Reset": "1700000060000",
                               "X-RateLimit-Minutely-Remaining": "0",
                               "X-RateLimit-Minutely-Limit": "60"})
    assert 44.5 <= clock.now - 1_700_000_015.5 <= 44.5 + 0.25
    start = clock.now = 1_700_000_075.0  # minutes begin at ...040 and ...100
    limiter.wait_after_429(2, {})  # no headers: the next clock minute
    assert 25.0 <= clock.now - start <= 25.25


def test_429_storm_from_other_consumers_is_waited_out():
    clock = FakeClock()
    server = SimulatedExact(clock, minute_seconds=1.0, minutely_limit=10)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    # another process of the same app takes 10 calls in this minute behind our back
    server.used_minute[(1, int(clock.now // 1))] = 10
    seen = drive(limiter, server, 1, 30)
    assert seen == 1
    assert len(server.calls) == 30


def test_server_clock_ahead_is_handled_carefully():
    """The sandbox clock can be advanced: resets far ahead of the local clock."""
    clock = FakeClock()
    server = SimulatedExact(clock, minute_seconds=1.0, minutely_limit=10, offset=3600.25)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    assert drive(limiter, server, 1, 300, latency=0.005) == 0
    windows = server.calls_per_window(1)
    assert max(windows) <= 10
    # after learning the minute and the clock offset it runs near the limit
    assert sum(windows[-20:]) >= 0.9 * 10 * 20


def test_server_clock_behind_costs_at_most_a_few_429s():
    clock = FakeClock()
    server = SimulatedExact(clock, minute_seconds=1.0, minutely_limit=10, offset=-0.3)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    seen = drive(limiter, server, 1, 300, latency=0.005)
    assert seen <= 10  # while it learns the offset, in the first few minutes
    assert len(server.calls) == 300
    assert drive(limiter, server, 1, 300, latency=0.005) == 0  # then none


def test_real_exact_headers_are_read():
    """Headers recorded from Exact (picqer/exact-php-client#609): epoch ms, any case."""
    headers = {}
    for line in FIXTURE.read_text().splitlines():
        if line and not line.startswith("#") and ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().upper()] = value.strip()
    clock = FakeClock(now=1683879505.0)  # Fri, 12 May 2023 08:18:25 GMT, the Date header
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    limiter.before_request(3100001)
    limiter.after_response(3100001, 400, headers)
    budget = limiter.budget(3100001)
    assert budget["minute_limit"] == 60
    assert budget["minute_remaining"] == 58
    assert budget["minute_reset"] == 1683879540.0
    assert budget["day_limit"] == 5000
    assert budget["day_remaining"] == 4766
    assert budget["day_reset"] == 1683936000.0
    assert budget["clock_offset"] == 0.0


def test_negative_reserve_is_refused():
    with pytest.raises(ValueError, match="daily_call_reserve"):
        RateLimiter(daily_call_reserve=-1)


def test_long_waits_are_logged(caplog: pytest.LogCaptureFixture):
    clock = FakeClock(now=1_700_000_000.0)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep,
                          logger=logging.getLogger("test.ratelimit"))
    with caplog.at_level(logging.INFO, logger="test.ratelimit"):
        limiter.wait_after_429(9, {})
    assert any("429" in r.getMessage() for r in caplog.records)


def test_threads_sharing_a_division_stay_within_the_limit():
    """4 threads on one division, one on another, short windows on a virtual clock: time moves
    only while every thread sleeps, so the outcome does not depend on the machine's load."""
    threads_per_division = (1, 1, 1, 1, 2)
    clock = VirtualClock(now=1_700_000_000.0, workers=len(threads_per_division))
    server = SimulatedExact(clock, minute_seconds=0.25, minutely_limit=6)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(division: int) -> None:
        try:
            for _ in range(12):
                while True:
                    limiter.before_request(division)
                    with lock:
                        status, headers = server.call(division)
                    limiter.after_response(division, status, headers)
                    if status != 429:
                        break
                    limiter.wait_after_429(division, headers)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            clock.done()

    threads = [threading.Thread(target=worker, args=(d,)) for d in threads_per_division]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not errors
    assert len(server.calls) == 60
    assert max(server.calls_per_window(1)) <= 6
    assert server.rate_limited == 0
    # the four threads of division 1 shared its windows: 48 calls in at least 8 windows
    assert len(server.calls_per_window(1)) >= 8


def test_calls_without_a_response_do_not_shrink_later_minutes():
    """A connection reset gives no headers; the thread's next call releases the booking."""
    clock = FakeClock(now=1_700_000_040.0)
    server = SimulatedExact(clock, minutely_limit=10)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    drive(limiter, server, 1, 2)
    for _ in range(20):  # 20 calls lost on the wire (counted as used: maybe they arrived)
        limiter.before_request(1)
        clock.now += 0.01
    drive(limiter, server, 1, 40, latency=0.01)
    assert server.rate_limited == 0
    windows = server.calls_per_window(1)
    assert windows[1:-1] == [10] * (len(windows) - 2)


# -- boundaries found by ``make mutants`` (docs/testing.md) -------------------------------------

def _minutely(reset: float, remaining: int = 59, limit: int = 60) -> dict[str, str]:
    """Exact's minutely headers: the reset in epoch milliseconds."""
    return {"X-RateLimit-Minutely-Reset": str(round(reset * 1000)),
            "X-RateLimit-Minutely-Limit": str(limit),
            "X-RateLimit-Minutely-Remaining": str(remaining)}


def test_without_a_daily_reset_header_the_allowance_resets_at_the_servers_midnight():
    clock = FakeClock(now=1_700_004_600.0)  # 2023-11-14 23:30:00 UTC here
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    # the server is an hour ahead (00:30 on the 15th): its minutely reset shows it
    limiter.before_request(1)
    limiter.after_response(1, 200, {**_minutely(1_700_008_260.0),
                                    "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0"})
    assert (limiter.budget(1)["clock_offset"], limiter.budget(1)["minute_seconds"]) == (
        3600.0, 60.0)
    with pytest.raises(DailyLimitReached) as caught:
        limiter.before_request(1)
    assert caught.value.resets_at == datetime(2023, 11, 16, 0, 0, tzinfo=timezone.utc)
    # a reset header is taken as Exact sends it, midnight or not
    limiter.after_response(2, 200, {"X-RateLimit-Reset": "1700010000000",
                                    "X-RateLimit-Remaining": "0"})
    with pytest.raises(DailyLimitReached) as caught:
        limiter.before_request(2)
    assert caught.value.resets_at == datetime.fromtimestamp(1_700_010_000, tz=timezone.utc)
    clock.now = 1_700_006_400.0  # 01:00 on the server: at the reset itself calls go out
    limiter.before_request(2)


def test_a_429_without_a_division_waits_for_the_servers_next_minute(
        caplog: pytest.LogCaptureFixture):
    clock = FakeClock(now=1_700_000_035.0)  # minutes begin at ...040 and ...100 here
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep,
                          logger=logging.getLogger("test.ratelimit"))
    limiter.before_request(1)  # the server is 5 s ahead: its minute ends at ...100 (095 here)
    limiter.after_response(1, 200, _minutely(1_700_000_100.0))
    assert limiter.budget(1)["clock_offset"] == 5.0
    limiter.wait_after_429(None, {})
    assert clock.sleeps == [60.0]
    # waits from 5 s are logged at INFO
    clock.now = 1_700_000_090.0
    with caplog.at_level(logging.INFO, logger="test.ratelimit"):
        limiter.wait_after_429(None, {})
    assert clock.sleeps[-1] == 5.0
    assert [r.getMessage() for r in caplog.records] == [
        "429 Too Many Requests on a call without a division: sleeping 5.00 s"]
    # a division's 429 without headers: the minute after the wait is the server's next one
    clock.now = 1_700_000_035.0
    limiter.wait_after_429(2, {})
    assert limiter.budget(2)["minute_reset"] == 1_700_000_160.0
    limiter.before_request(2)  # the minute's calls are not known: it goes out at once
    assert clock.now == 1_700_000_095.25


def test_429s_in_a_row_wait_a_margin_that_doubles_until_a_call_succeeds():
    clock = FakeClock(now=1_700_000_000.2)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    for second in (1, 2):  # two resets a second apart: one-second minutes (the sandbox's)
        limiter.before_request(1)
        limiter.after_response(1, 200, _minutely(1_700_000_000.0 + second, 9, 10))
        clock.now += 1.0
    assert limiter.budget(1)["minute_seconds"] == 1.0

    def refused() -> float:
        """One 429 answered at the server's next second; how long after it the wait ends."""
        reset = math.floor(clock.now) + 1.0
        headers = _minutely(reset, 0, 10)
        limiter.after_response(1, 429, headers)
        limiter.wait_after_429(1, headers)
        return round(clock.now - reset, 4)

    # the margin is 2% of the minute, doubled for each 429 in a row
    assert [refused(), refused(), refused()] == [0.02, 0.04, 0.08]
    limiter.after_response(1, 200, {})
    assert refused() == 0.02


def test_a_minutely_reset_of_zero_is_no_reset():
    limiter = RateLimiter(time_func=FakeClock().time, sleep_func=FakeClock().sleep)
    limiter.after_response(1, 200, _minutely(0.0, 5, 10))
    assert limiter.budget(1)["minute_reset"] is None


def test_a_call_lost_on_the_wire_releases_one_booking_of_its_division():
    clock = FakeClock(now=1_700_000_010.0)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    limiter.before_request(1)  # lost: no response comes
    other = threading.Thread(target=limiter.before_request, args=(1,))  # in flight meanwhile
    other.start()
    other.join()
    limiter.before_request(1)  # this thread's next call: the lost one is over
    limiter.after_response(1, 200, _minutely(1_700_000_040.0, 10, 20))
    # one call (the other thread's) is still in flight: it counts against the minute
    assert limiter.budget(1)["minute_remaining"] == 9


def test_pacing_starts_after_a_quarter_of_the_minute_and_each_call_counts():
    clock = FakeClock(now=1_700_000_040.0)  # a minute starts at ...040
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    daily = {"X-RateLimit-Limit": "100", "X-RateLimit-Reset": "1700006400000"}
    limiter.before_request(1)
    limiter.after_response(1, 200, {**_minutely(1_700_000_100.0, 3, 4),
                                    **daily, "X-RateLimit-Remaining": "50"})
    # 1 of 4 used: a quarter, so the next call is paced: the minute left over 3 calls + 1
    limiter.before_request(1)
    assert clock.sleeps == [15.0]
    budget = limiter.budget(1)
    assert (budget["minute_remaining"], budget["day_remaining"]) == (2, 49)
    # a later answer in the same minute (another consumer used some) is taken as it is
    limiter.after_response(1, 200, {**_minutely(1_700_000_100.0, 1, 4),
                                    **daily, "X-RateLimit-Remaining": "40"})
    budget = limiter.budget(1)
    assert (budget["minute_remaining"], budget["day_remaining"]) == (1, 40)
    # a late answer from before the last daily reset is not
    limiter.after_response(1, 200, {"X-RateLimit-Remaining": "45",
                                    "X-RateLimit-Reset": "1699920000000"})
    assert (limiter.budget(1)["day_remaining"], limiter.budget(1)["day_reset"]) == (
        40, 1_700_006_400.0)
    # an answer without a daily reset is
    limiter.after_response(1, 200, {"X-RateLimit-Remaining": "39"})
    assert limiter.budget(1)["day_remaining"] == 39


def test_a_call_in_flight_on_another_thread_counts_in_the_next_minute():
    clock = FakeClock(now=1_700_000_040.0)
    limiter = RateLimiter(time_func=clock.time, sleep_func=clock.sleep)
    limiter.before_request(1)
    other = threading.Thread(target=limiter.before_request, args=(1,))  # answered later
    other.start()
    other.join()
    limiter.after_response(1, 200, {**_minutely(1_700_000_100.0, 1, 4),
                                    "X-RateLimit-Remaining": "50"})
    budget = limiter.budget(1)  # the other thread's call is not in these counts yet
    assert (budget["minute_remaining"], budget["day_remaining"]) == (0, 49)
    # the minute is used up: wait for the reset; the call in flight may land in the new one
    limiter.before_request(1)
    assert clock.sleeps == [60.25]
    assert (limiter.budget(1)["minute_remaining"], limiter.budget(1)["minute_reset"]) == (
        2, 1_700_000_160.0)
    # a call exactly at the next reset starts that minute, one call in flight: paced
    clock.now = 1_700_000_160.0
    limiter.before_request(1)
    assert clock.sleeps == [60.25, 15.0]
