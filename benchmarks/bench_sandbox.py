"""Sandbox speed: start-up time with 1,000,000 transaction lines, and rows/s served.

Starts ``exactonline sandbox serve --rows N --divisions 1 --no-limits`` (N from
``BENCH_SANDBOX_ROWS``, default 1,000,000), measures the time until ``/_sandbox/stats``
answers (once with a CPU-bound process running alongside, once without; wall and CPU
seconds, the CPU of the forked ledger workers included), then pages
``sync/Financial/TransactionLines`` with a ``$select`` of every field (what the tap sends)
1000 rows a page, and ``sync/SalesInvoice/SalesInvoices`` (rendered field by
field in SQLite). Rows/s is wall-clock over the client loop (one client, one connection, the
sandbox is one single-threaded process); the goal is on rows per CPU second of the sandbox
process (from /proc), i.e. what one core serves, independent of the client and of other load.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import requests

from benchmarks.common import env_int, row
from tests.support.sandbox import SandboxProcess

DIVISION = 3100001
GOAL_ROWS_S = 50_000
GOAL_START_S = 30.0
NEXT = re.compile(rb',"__next":("[^"]+")\}\}$')


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of a process (Linux /proc); with ``children`` also those of
    its finished children (the forked ledger workers of the start-up)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def start(rows: int) -> tuple[SandboxProcess, float, float]:
    """A started sandbox, its start-up wall seconds and CPU seconds (with its workers)."""
    sb = SandboxProcess(seed=5, divisions=1, rows=rows, no_limits=True)
    t0 = time.perf_counter()
    sb.start(timeout=1800)
    wall = time.perf_counter() - t0
    assert sb.proc is not None
    return sb, wall, cpu_seconds(sb.proc.pid, children=True)


def start_under_load(rows: int) -> tuple[float, float]:
    """Start-up wall and CPU seconds while one CPU-bound process runs alongside (the
    "another job loads the machine" case); the load stops when the sandbox answers."""
    hog = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 1800\n"
                            "while time.time() < end: pass"])
    try:
        sb, wall, cpu = start(rows)
    finally:
        hog.kill()
        hog.wait()
    sb.stop()
    return wall, cpu


def token(sb: SandboxProcess) -> str:
    """An access token via the sandbox's control API (fresh refresh-token chain)."""
    minted = requests.post(f"{sb.url}/_sandbox/oauth/refresh-token",
                           json={"reset_refresh_interval": True}, timeout=30).json()
    resp = requests.post(f"{sb.url}/api/oauth2/token", timeout=30, data={
        "grant_type": "refresh_token", "refresh_token": minted["refresh_token"],
        "client_id": sb.options["client_id"], "client_secret": sb.options["client_secret"]})
    resp.raise_for_status()
    return resp.json()["access_token"]


def page_through(sb: SandboxProcess, session: requests.Session, endpoint: str,
                 max_pages: int) -> tuple[int, float, float]:
    """(rows, wall seconds, sandbox CPU seconds) of paging ``endpoint`` with all fields."""
    first = session.get(f"{sb.url}/api/v1/{DIVISION}/{endpoint}", params={"$top": "1"},
                        timeout=60).json()["d"][0]
    fields = ",".join(name for name in first if name != "__metadata")
    url: str | None = f"{sb.url}/api/v1/{DIVISION}/{endpoint}"
    params: dict[str, Any] | None = {"$select": fields, "$filter": "Timestamp gt 1L"}
    rows = pages = 0
    assert sb.proc is not None
    cpu0, t0 = cpu_seconds(sb.proc.pid), time.perf_counter()
    while url and pages < max_pages:
        resp = session.get(url, params=params, timeout=120)
        resp.raise_for_status()
        body = resp.content
        # Count rows and find __next without decoding 2 MB of JSON in the client.
        rows += body.count(b'{"__metadata":')
        tail = NEXT.search(body[-2000:])
        url, params = (orjson.loads(tail.group(1)) if tail else None), None
        pages += 1
    return rows, time.perf_counter() - t0, cpu_seconds(sb.proc.pid) - cpu0


def run() -> list[dict[str, Any]]:
    """Start-up time and rows/s (CONTRACTS §7 rows)."""
    rows = env_int("BENCH_SANDBOX_ROWS", 1_000_000)
    goal = f"< {GOAL_START_S:.0f} s" if rows >= 1_000_000 else None
    loaded_wall, loaded_cpu = start_under_load(rows)
    sb, startup, startup_cpu = start(rows)
    out = [row(f"sandbox start-up, {rows:,} transaction lines (1 division)", round(startup, 1),
               "s", goal, startup < GOAL_START_S if goal else None),
           row("the same start-up: CPU seconds of the sandbox and its ledger workers",
               round(startup_cpu, 1), "CPU s", None, None),
           row(f"sandbox start-up, {rows:,} lines, with one CPU-bound process running "
               f"alongside ({loaded_cpu:.1f} CPU s)", round(loaded_wall, 1), "s", goal,
               loaded_wall < GOAL_START_S if goal else None)]
    try:
        session = requests.Session()
        session.headers.update({"Accept": "application/json",
                                "Authorization": f"Bearer {token(sb)}"})
        for endpoint, label, pages in (
            ("sync/Financial/TransactionLines", "sync TransactionLines (pre-rendered)", 200),
            ("sync/SalesInvoice/SalesInvoices", "sync SalesInvoices (rendered in SQLite)", 50),
        ):
            n, wall, cpu = page_through(sb, session, endpoint, pages)
            per_cpu = n / cpu if cpu > 0 else None
            out.append(row(f"sandbox serves {label}, 1000-row pages, all fields: rows per "
                           "CPU second of the sandbox (one core)",
                           round(per_cpu) if per_cpu else None, "rows/s",
                           f">= {GOAL_ROWS_S:,} rows/s",
                           per_cpu >= GOAL_ROWS_S if per_cpu else None))
            out.append(row(f"sandbox serves {label}: wall clock with one client on the same "
                           "machine", round(n / wall), "rows/s", None, None))
    finally:
        sb.stop()
    return out


if __name__ == "__main__":
    for result in run():
        print(result)
