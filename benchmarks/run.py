"""Run every benchmark module and write ``benchmarks/RESULTS.md``.

Usage: ``python -m benchmarks.run [--only bench_tap,bench_calls] [--rss-rows 100000,1000000]``
(``make bench`` runs it with the defaults). Row counts are options because a 1,000,000-row
sandbox takes long to generate and to sync on a small machine; the defaults finish in a few
minutes. Every module's ``run()`` returns rows ``{name, value, unit, goal, met}``
(CONTRACTS §7); a module that fails gives one row saying so, and the others still run.

Environment options (the flags set them):

=======================  ======================================================  =========
variable                 meaning                                                 default
=======================  ======================================================  =========
BENCH_TAP_ROWS           transaction lines in the rows/s sandbox                 100000
BENCH_ACCOUNTS_ROWS      transaction lines of the accounts rows/s sandbox        300000
BENCH_CALLS_ROWS         transaction lines per division for the calls benchmark  5000
BENCH_RSS_ROWS           row counts for peak RSS (comma-separated)               100000
BENCH_UTIL_LIMIT         calls per 1-s "minute" for the utilization benchmark    4
BENCH_UTIL_ROWS          transaction lines for the utilization benchmark         40000
BENCH_E2E_ROWS           transaction lines for the Meltano end-to-end run        30000
BENCH_PAR_DIVISIONS      divisions of the parallel incremental run               50
BENCH_PAR_LATENCY_MS     sandbox latency of that run                             300
BENCH_PAR_ROWS           transaction lines per division, parallel benchmarks     20000
BENCH_PAR_MINUTE_S       seconds of the shortened rate-limit minute              6
BENCH_WEBHOOK_CHANGES    sandbox changes timed from mutate to DuckDB             10
BENCH_WEBHOOK_DEBOUNCE   webhook_debounce_seconds of that receiver               5
BENCH_WEBHOOK_NOTIFICATIONS  notifications of the receiver throughput run        5000
=======================  ======================================================  =========
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
FLAG_ENV = {
    "tap_rows": "BENCH_TAP_ROWS",
    "accounts_rows": "BENCH_ACCOUNTS_ROWS",
    "calls_rows": "BENCH_CALLS_ROWS",
    "rss_rows": "BENCH_RSS_ROWS",
    "util_limit": "BENCH_UTIL_LIMIT",
    "util_rows": "BENCH_UTIL_ROWS",
    "e2e_rows": "BENCH_E2E_ROWS",
    "par_divisions": "BENCH_PAR_DIVISIONS",
    "par_latency_ms": "BENCH_PAR_LATENCY_MS",
    "par_rows": "BENCH_PAR_ROWS",
    "par_minute_s": "BENCH_PAR_MINUTE_S",
}


ORDER = ("bench_tap", "bench_memory", "bench_calls", "bench_ratelimit", "bench_parallel",
         "bench_meltano", "bench_webhooks", "bench_sandbox")
"""Order of the table (the tap's goals first); other modules follow by name."""


def modules() -> list[str]:
    """Names of the ``bench_*`` modules of this package, in table order."""
    found = sorted(m.name for m in pkgutil.iter_modules([str(HERE)])
                   if m.name.startswith("bench_"))
    return [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": mem,
        "load average at start (1/5/15 min)": load,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "date (UTC)": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    }


def fmt_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def fmt_met(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "**not met**")


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| benchmark | value | unit | goal | met |", "|---|---:|---|---|---|"]
    for r in rows:
        name = str(r.get("name", "?")).replace("|", "\\|")
        goal = str(r.get("goal") or "-").replace("|", "\\|")
        lines.append(f"| {name} | {fmt_value(r.get('value'))} | {r.get('unit', '')} | "
                     f"{goal} | {fmt_met(r.get('met'))} |")
    return "\n".join(lines)


def write_results(rows: list[dict[str, Any]], info: dict[str, str], seconds: float,
                  options: dict[str, str]) -> str:
    text = "\n".join([
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run`); see `docs/rate-limits.md`.",
        "",
        table(rows),
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in info.items() if v) + ".",
        "",
        "Options: " + (", ".join(f"{k}={v}" for k, v in options.items()) or "defaults")
        + f". Total time {seconds / 60:.1f} min.",
        "",
    ])
    RESULTS.write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated module names (e.g. bench_tap)")
    for flag, var in FLAG_ENV.items():
        parser.add_argument("--" + flag.replace("_", "-"), help=f"sets {var}")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    for flag, var in FLAG_ENV.items():
        value = getattr(args, flag)
        if value:
            os.environ[var] = value
    options = {var: os.environ[var] for var in FLAG_ENV.values() if os.environ.get(var)}
    names = modules()
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        names = [n for n in names if n in wanted]
    info = machine()
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for name in names:
        print(f"==> {name}", flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            got = list(module.run())
        except Exception as exc:  # one failing benchmark must not hide the others
            traceback.print_exc()
            got = [{"name": f"{name}: failed", "value": None, "unit": "",
                    "goal": f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
                    if str(exc) else type(exc).__name__, "met": False}]
        for r in got:
            print(f"    {r.get('name')}: {fmt_value(r.get('value'))} {r.get('unit', '')}"
                  f"  [{r.get('goal') or '-'}: {fmt_met(r.get('met'))}]", flush=True)
        print(f"    ({time.perf_counter() - t0:.0f} s)", flush=True)
        rows.extend(got)
    seconds = time.perf_counter() - started
    if args.no_write:
        print(table(rows))
    else:
        print(write_results(rows, info, seconds, options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
