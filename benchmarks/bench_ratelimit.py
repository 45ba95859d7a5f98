"""Rate-limit utilization with the sandbox minute shortened to 1 s.

The tap syncs ``transaction_lines`` of one division against a sandbox that allows
``BENCH_UTIL_LIMIT`` calls per 1-s window (default 4, low enough that the tap, not the
limiter, is never the bottleneck). The benchmark polls ``/_sandbox/stats`` every 20 ms
(control calls are not limited) and counts the division's calls per window; utilization is
calls made / calls allowed over the full windows of the run (first and last windows are
partial and left out; a window polled over the limit counts at the limit, since the sandbox
refuses every call over it). Goal: >= 90% with 0 429s.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from typing import Any

import requests

from benchmarks.common import FIRST_DIVISION, TapWorkdir, check, env_int, row, sandbox

PATH = f"/api/v1/{FIRST_DIVISION}/sync/Financial/TransactionLines"


class WindowCounter(threading.Thread):
    """Polls the sandbox's call counter and buckets the increments by 1-s window."""

    def __init__(self, url: str, minute_seconds: float) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.minute = minute_seconds
        self.windows: dict[int, int] = {}
        self.stop_event = threading.Event()
        self.session = requests.Session()

    def run(self) -> None:
        last = 0
        while not self.stop_event.is_set():
            sent = time.time()
            stats = self.session.get(f"{self.url}/_sandbox/stats", timeout=10).json()
            now = (sent + time.time()) / 2  # the snapshot was taken between the two
            calls = sum(n for path, n in stats["calls"].items()
                        if path.startswith(f"/api/v1/{FIRST_DIVISION}/"))
            if calls > last:
                window = math.floor(now / self.minute)
                self.windows[window] = self.windows.get(window, 0) + calls - last
                last = calls
            time.sleep(0.02)


def run() -> list[dict[str, Any]]:
    limit = env_int("BENCH_UTIL_LIMIT", 4)
    rows = env_int("BENCH_UTIL_ROWS", 40_000)
    with sandbox(seed=19, divisions=1, rows=rows, minute_seconds=1, minutely_limit=limit,
                 daily_limit=1_000_000) as sb:
        workdir = TapWorkdir(sb.tap_config(divisions=[FIRST_DIVISION]))
        workdir.catalog(["transaction_lines"])
        counter = WindowCounter(sb.url, 1.0)
        counter.start()
        result = workdir.run(["transaction_lines"], state=False, save_state=False)
        counter.stop_event.set()
        counter.join()
        check(result, "tap transaction_lines")
        stats = sb.stats()
    limited = int(stats.get("rate_limited", 0))
    windows = [counter.windows[w] for w in sorted(counter.windows)]
    # Polling can put a call made just before a window's end into the next window. The
    # sandbox refuses every call over the limit (and 0 were refused), so a window counted
    # over the limit is such an artefact: it counts at the limit.
    full = [min(n, limit) for n in windows[1:-1]]
    utilization = statistics.mean(full) / limit if full else None
    calls = stats["calls"].get(PATH, 0)
    return [
        row(f"rate-limit utilization, 1-s minute, {limit} calls/window, {calls} calls in "
            f"{len(windows)} windows", round(utilization * 100, 1) if utilization else None,
            "% of allowed calls", ">= 90%",
            utilization is not None and utilization >= 0.9),
        row("429s received during the utilization run", limited, "429s", "0", limited == 0),
    ]
