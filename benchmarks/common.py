"""Shared plumbing of the benchmarks: sandbox processes, tap runs, resource usage.

The tap runs as its console script ``tap-exactonline`` in a child process (as Meltano runs
it); ``os.wait4`` gives that child's CPU time and peak RSS.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.sandbox import SandboxProcess

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FIRST_DIVISION = 3100001
METRIC = re.compile(r"METRIC: (\{.*\})")


def env_int(name: str, default: int) -> int:
    """Integer option from the environment (``BENCH_*``)."""
    value = os.environ.get(name)
    return int(value.replace("_", "")) if value else default


def env_ints(name: str, default: Iterable[int]) -> list[int]:
    """Comma-separated integers from the environment."""
    value = os.environ.get(name)
    if not value:
        return list(default)
    return [int(v.replace("_", "")) for v in value.split(",") if v.strip()]


def row(name: str, value: float | int | None, unit: str, goal: str | None = None,
        met: bool | None = None) -> dict[str, Any]:
    """One result row (CONTRACTS §7)."""
    return {"name": name, "value": value, "unit": unit, "goal": goal, "met": met}


@contextmanager
def sandbox(**options: Any) -> Iterator[SandboxProcess]:
    """A sandbox process for one benchmark (log under the temp dir)."""
    proc = SandboxProcess(**options)
    proc.start(log_dir=Path(tempfile.gettempdir()), timeout=1800)
    try:
        yield proc
    finally:
        proc.stop()


@dataclass
class TapRun:
    """Outcome of one tap process."""

    returncode: int
    wall_seconds: float
    cpu_seconds: float
    max_rss_mb: float
    stderr: str
    metrics: list[dict[str, Any]] = field(default_factory=list)

    def records(self, stream: str | None = None) -> int:
        """Records counted by the SDK's ``record_count`` metrics (optionally one stream)."""
        return sum(
            int(m["value"]) for m in self.metrics
            if m.get("metric") == "record_count"
            and (stream is None or m.get("tags", {}).get("stream") == stream)
        )

    def sync_seconds(self, stream: str) -> float:
        """Sum of the SDK's ``sync_duration`` timers of ``stream``."""
        return sum(
            float(m["value"]) for m in self.metrics
            if m.get("metric") == "sync_duration" and m.get("tags", {}).get("stream") == stream
        )


class TapWorkdir:
    """A temp directory with the tap's config, catalog and state files."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-tap-"))
        self.config = self.dir / "config.json"
        config = {"token_store_path": str(self.dir / "tokens.fernet"),
                  "token_store_key": "bench-token-store-passphrase", **config}
        self.config.write_text(json.dumps(config))
        self.state = self.dir / "state.json"
        self._catalog: dict[str, Any] | None = None

    def catalog(self, streams: Iterable[str]) -> Path:
        """A catalog file with only ``streams`` selected (from ``--discover``)."""
        if self._catalog is None:
            out = subprocess.run(
                [str(BIN / "tap-exactonline"), "--config", str(self.config), "--discover"],
                check=True, capture_output=True, text=True, timeout=300,
            )
            self._catalog = json.loads(out.stdout)
        wanted = set(streams)
        catalog = json.loads(json.dumps(self._catalog))
        for entry in catalog["streams"]:
            selected = entry["tap_stream_id"] in wanted
            for md in entry.get("metadata", []):
                if md.get("breadcrumb") == []:
                    md["metadata"]["selected"] = selected
        path = self.dir / f"catalog-{abs(hash(tuple(sorted(wanted))))}.json"
        path.write_text(json.dumps(catalog))
        return path

    def run(self, streams: Iterable[str], *, state: bool = True, stdout: Path | None = None,
            save_state: bool = True) -> TapRun:
        """Run the tap on ``streams``; output to ``stdout`` (default /dev/null).

        With ``save_state`` the last STATE message is written to ``self.state`` (read from
        the output, so output goes through a pipe then).
        """
        cmd = [str(BIN / "tap-exactonline"), "--config", str(self.config),
               "--catalog", str(self.catalog(streams))]
        if state and self.state.exists():
            cmd += ["--state", str(self.state)]
        return run_process(cmd, stdout_path=stdout,
                           state_path=self.state if save_state else None)


class PeakRSS(threading.Thread):
    """Polls ``VmHWM`` (peak resident set) of a process in /proc every 50 ms.

    ``ru_maxrss`` from ``wait4`` is not used: Linux carries the forking parent's peak RSS
    over into the child across ``exec``, so a big benchmark process would inflate it.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.path = Path(f"/proc/{pid}/status")
        self.kib = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                for line in self.path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.kib = max(self.kib, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                pass
            self.stop_event.wait(0.05)


def run_process(cmd: list[str], *, stdout_path: Path | None = None,
                state_path: Path | None = None, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> TapRun:
    """Run ``cmd``; measure wall time, CPU time and peak RSS of that child (``wait4``).

    Output goes to ``stdout_path`` (default /dev/null); with ``state_path`` it is read through
    a pipe and the value of the last STATE message is written to ``state_path``.
    """
    with ExitStack() as stack:
        err_file = stack.enter_context(tempfile.TemporaryFile())
        out_target: Any = subprocess.DEVNULL
        if state_path is not None:
            out_target = subprocess.PIPE
        elif stdout_path is not None:
            out_target = stack.enter_context(open(stdout_path, "wb"))
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_target, stderr=err_file, env=env, cwd=cwd)
        last_state: list[bytes] = []
        reader = None
        if state_path is not None:
            def read() -> None:
                assert proc.stdout is not None
                for line in proc.stdout:
                    if b'"STATE"' in line[:40]:
                        last_state[:] = [line]
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
        peak = PeakRSS(proc.pid)
        peak.start()
        _, status, usage = os.wait4(proc.pid, 0)
        peak.stop_event.set()
        peak.join()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if reader is not None:
            reader.join()
            assert proc.stdout is not None
            proc.stdout.close()
        err_file.seek(0)
        stderr = err_file.read().decode(errors="replace")
    if state_path is not None and last_state:
        state_path.write_text(json.dumps(json.loads(last_state[0])["value"]))
    metrics = []
    for match in METRIC.finditer(stderr):
        try:
            metrics.append(json.loads(match.group(1)))
        except json.JSONDecodeError:
            continue
    return TapRun(
        returncode=proc.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_rss_mb=peak.kib / 1024.0 if peak.kib else usage.ru_maxrss / 1024.0,
        stderr=stderr,
        metrics=metrics,
    )


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process so far (Linux ``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check(run: TapRun, what: str) -> None:
    """Raise with the tail of stderr when a run failed."""
    if run.returncode != 0:
        raise RuntimeError(f"{what}: exit {run.returncode}: {run.stderr[-1500:]}")


def pages(rows: int, page_size: int = 1000) -> int:
    """Calls a full sync of ``rows`` rows needs at most (goal: ceil(rows/1000) + 1)."""
    return math.ceil(rows / page_size) + 1
