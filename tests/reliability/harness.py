"""The reliability suite's tools: run the tap and Meltano as a user does, judge the outcome
against the sandbox truth, and count what went wrong for docs/reliability.md.

Figures (one row per kind of run, see :class:`Ledger`): rows lost (a key of the truth missing
from the warehouse), rows doubled (a key stored more than once in current state), stale rows
(a key whose stored values differ from the truth), runs needing re-login (a run that ends
with "exactonline auth login"), tracebacks, secrets found (in any output or a file another
user could read).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tap_exactonline import odata
from tap_exactonline.streamtable import CATALOG, SPECS
from tap_exactonline.tap import TapExactOnline
from tap_exactonline.tokenstore import open_token_store
from tests.e2e.helpers import MELTANO, REPO_ROOT, warehouse_rows
from tests.support.meltano import TOKEN_STORE_KEY, isolated_meltano_env
from tests.support.oracle import differences, expected_by_key, key_of, same
from tests.support.sandbox import SandboxProcess
from tests.tap.helpers import select

TRACEBACK = "Traceback (most recent call last)"
LOGIN = "exactonline auth login"
RUN = ["--log-format=json", "--environment=demo", "run", "tap-exactonline", "target-duckdb"]
COLUMNS = ("runs", "rows lost", "rows doubled", "stale rows", "runs needing re-login",
           "tracebacks", "secrets found")


# -- figures ----------------------------------------------------------------------------------
class Ledger:
    """Counts per kind of run; rendered as the table of docs/reliability.md."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
        self.notes: dict[str, list[str]] = defaultdict(list)
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def add(self, kind: str, **counts: int) -> None:
        """Add ``counts`` (column names with spaces as underscores) to row ``kind``."""
        with self._lock:
            row = self.rows[kind]
            for name, value in counts.items():
                column = name.replace("_", " ").replace("re login", "re-login")
                assert column in row, column
                row[column] += int(value)

    def note(self, kind: str, text: str) -> None:
        with self._lock:
            self.notes[kind].append(text)

    def render(self, started: float) -> str:
        """The figures table and notes as Markdown."""
        lines = ["| kind of run | " + " | ".join(COLUMNS) + " |",
                 "|---|" + "---:|" * len(COLUMNS)]
        total = dict.fromkeys(COLUMNS, 0)
        for kind in sorted(self.rows):
            row = self.rows[kind]
            lines.append(f"| {kind} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
            for column in COLUMNS:
                total[column] += row[column]
        lines.append("| **total** | " + " | ".join(f"**{total[c]}**" for c in COLUMNS) + " |")
        out = ["\n".join(lines), ""]
        for kind in sorted(self.notes):
            for text in self.notes[kind]:
                out.append(f"- {kind}: {text}")
        minutes = (time.monotonic() - started) / 60
        out.append("")
        out.append(f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC in "
                   f"{minutes:.0f} minutes; load average at the end "
                   f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
        return "\n".join(out)


# -- outcomes ---------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one process left: exit status and output."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def traceback(self) -> bool:
        return TRACEBACK in self.stdout or TRACEBACK in self.stderr

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def error_lines(self, prefix: str = "tap-exactonline:") -> list[str]:
        """The lines of stderr that are the program's own error lines (not log lines)."""
        return [line for line in self.stderr.splitlines() if line.startswith(prefix)]

    def needs_login(self) -> bool:
        return self.returncode != 0 and LOGIN in self.last_line


def run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 240, preexec: Any = None) -> Outcome:
    """Run ``cmd`` to its end; its output as an :class:`Outcome`."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False, preexec_fn=preexec)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def secrets_in(texts: Iterable[str], secrets: Iterable[str]) -> int:
    """How many of ``secrets`` appear in any of ``texts``."""
    values = [s for s in secrets if s and len(s) >= 6]
    joined = "\n".join(texts)
    return sum(1 for s in set(values) if s in joined)


def readable_by_others(folder: Path, secrets: Iterable[str]) -> list[Path]:
    """Files under ``folder`` that hold one of ``secrets`` and a user other than the owner
    could read (mode bits for group or others)."""
    found = []
    values = [s for s in secrets if s and len(s) >= 6]
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        if not stat.S_IMODE(path.stat().st_mode) & 0o044:
            continue
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if any(s in text for s in values):
            found.append(path)
    return found


def umask_077() -> None:
    """``preexec_fn`` of processes started the way the project's entry points start them."""
    os.umask(0o077)


def without_root_override() -> list[str]:
    """A command prefix that makes file permissions bind even for root (tests may run as
    root): ``setpriv`` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. Empty when not root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
            "--bounding-set=-dac_override,-dac_read_search", "--"]


# -- the tap ----------------------------------------------------------------------------------
def tap_executable() -> str:
    return str(Path(sys.executable).parent / "tap-exactonline")


def exactonline_command() -> str:
    return str(Path(sys.executable).parent / "exactonline")


def catalog_for(streams: set[str] | None) -> dict[str, Any]:
    """The tap's catalog with ``streams`` selected (all when None)."""
    tap = TapExactOnline(config={"client_id": "x", "client_secret": "y"},
                         parse_env_config=False, validate_config=False)
    return select(tap.catalog_dict, streams)


@dataclass
class TapRun:
    """One ``tap-exactonline`` run: outcome, records per stream, the last STATE."""

    outcome: Outcome
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    state: dict[str, Any] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # message types in order


def run_tap(work: Path, config: dict[str, Any], *, streams: set[str] | None,
            state: dict[str, Any] | None = None, timeout: float = 240,
            env: dict[str, str] | None = None) -> TapRun:
    """``tap-exactonline --config --catalog [--state]`` in ``work``; its messages parsed."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.json").write_text(json.dumps(config))
    (work / "catalog.json").write_text(json.dumps(catalog_for(streams)))
    cmd = [tap_executable(), "--config", str(work / "config.json"),
           "--catalog", str(work / "catalog.json")]
    if state is not None:
        (work / "state.json").write_text(json.dumps(state))
        cmd += ["--state", str(work / "state.json")]
    outcome = run(cmd, cwd=work, env={**os.environ, **(env or {})}, timeout=timeout)
    result = TapRun(outcome)
    for line in outcome.stdout.splitlines():
        message = odata.decode_json(line)
        result.order.append(message["type"])
        if message["type"] == "RECORD":
            result.records[message["stream"]].append(message["record"])
        elif message["type"] == "STATE":
            result.state = message["value"]
    return result


def store_tokens(config: dict[str, Any]) -> list[str]:
    """The tokens the config's token store holds now (to look for them in outputs)."""
    store = open_token_store(
        client_id=config["client_id"], client_secret=config["client_secret"],
        base_url=config["base_url"], token_store_path=config.get("token_store_path"),
        token_store_key=config.get("token_store_key"))
    try:
        record = store.load()
    except Exception:
        return []
    finally:
        store.close()
    return [t for t in (record.access_token, record.refresh_token) if t] if record else []


# -- Meltano into DuckDB ----------------------------------------------------------------------
class Pipeline:
    """``meltano run tap-exactonline target-duckdb`` against a sandbox, isolated in ``work``.

    Args:
        sandbox: A started sandbox.
        work: Everything the runs write (Meltano's system database and run files, the token
            store, the DuckDB file).
        batch_size: target-duckdb's ``batch_size_rows`` (small: partial flushes happen).
        streams: The streams to select (default: every stream).
    """

    def __init__(self, sandbox: SandboxProcess, work: Path, *, batch_size: int = 37,
                 streams: list[str] | None = None, **extra_env: str) -> None:
        self.sandbox = sandbox
        self.work = work
        self.streams = streams or [spec.name for spec in CATALOG]
        select = json.dumps([f"{name}.*" for name in self.streams])
        # payroll streams are read only when opted in, even when selected (#12)
        opt_in = json.dumps([name for name in self.streams if SPECS[name].opt_in])
        extra_env.setdefault("TAP_EXACTONLINE_OPT_IN_STREAMS", opt_in)
        self.env = isolated_meltano_env(
            sandbox, work, TAP_EXACTONLINE__SELECT=select,
            TARGET_DUCKDB_BATCH_SIZE_ROWS=str(batch_size), **extra_env)
        self.db = work / "exactonline.duckdb"
        self.count = 0

    @property
    def secrets(self) -> list[str]:
        env = self.env
        return [env["TAP_EXACTONLINE_CLIENT_SECRET"], env["TAP_EXACTONLINE_REFRESH_TOKEN"],
                TOKEN_STORE_KEY, *store_tokens(self.tap_settings())]

    def tap_settings(self) -> dict[str, Any]:
        return {"client_id": self.env["TAP_EXACTONLINE_CLIENT_ID"],
                "client_secret": self.env["TAP_EXACTONLINE_CLIENT_SECRET"],
                "base_url": self.sandbox.url,
                "token_store_path": self.env["TAP_EXACTONLINE_TOKEN_STORE_PATH"],
                "token_store_key": TOKEN_STORE_KEY}

    def start(self, *, force: bool = False) -> subprocess.Popen[str]:
        """Start one run in its own process group (as the project's entry points: umask 077)."""
        self.count += 1
        args = [str(MELTANO), *RUN[:2], "run", *(["--force"] if force else []), *RUN[3:]]
        log = (self.work / f"meltano-{self.count}.log").open("w")
        return subprocess.Popen(args, cwd=REPO_ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                preexec_fn=umask_077)

    def run(self, *, force: bool = False, timeout: float = 300) -> Outcome:
        """One run to its end."""
        proc = self.start(force=force)
        try:
            proc.wait(timeout=timeout)
        finally:
            kill_group(proc)
        text = (self.work / f"meltano-{self.count}.log").read_text(errors="replace")
        return Outcome(proc.returncode, "", text)

    def kill_after(self, seconds: float, *, force: bool = False,
                   only_tap: bool = False) -> Outcome:
        """Start a run and kill it with SIGKILL after ``seconds``: the whole process group,
        or only the tap process (Meltano and the target carry on)."""
        proc = self.start(force=force)
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            if only_tap:
                for pid in child_pids(proc.pid, "/extractors/tap-exactonline/"):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=120)
            kill_group(proc)
        text = (self.work / f"meltano-{self.count}.log").read_text(errors="replace")
        return Outcome(proc.returncode if proc.returncode is not None else -9, "", text)

    # -- comparison with the truth --------------------------------------------------------
    def divisions(self) -> list[int]:
        info = requests.get(f"{self.sandbox.url}/_sandbox/divisions", timeout=60).json()
        return list(info["accessible"])

    def expected(self, stream_name: str) -> dict[tuple[Any, ...], dict[str, Any]]:
        """The sandbox's canonical truth of a stream, keyed by (division, key) as DuckDB
        stores it (:mod:`tests.support.oracle`)."""
        return expected_by_key(self.sandbox, self.divisions(), stream_name)

    def truth(self) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
        """The canonical truth of every stream the pipeline loads: ``{stream: {key: row}}``."""
        return {name: self.expected(name) for name in self.streams}

    @staticmethod
    def changed_between(before: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
                        after: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
                        ) -> set[tuple[str, tuple[Any, ...]]]:
        """``(stream, key)`` of every row whose truth differs between two :meth:`truth` calls
        (added, removed or with any field changed): what changed while a run read, including
        what the sandbox changed on its own (a journal entry's Modified when one of its lines
        changes, an open-item list when a payment changes)."""
        changed = set()
        for name in before.keys() | after.keys():
            old, new = before.get(name, {}), after.get(name, {})
            changed |= {(name, k) for k in old.keys() | new.keys()
                        if k not in old or k not in new or old[k] != new[k]}
        return changed

    def judge(self, *, deleted: set[tuple[str, tuple[Any, ...]]] = frozenset(),
              changing: set[tuple[str, tuple[Any, ...]]] = frozenset()) -> dict[str, int]:
        """Compare every table with the truth: rows lost, doubled, stale.

        Args:
            deleted: ``(stream, key)`` of rows deleted in the sandbox (they stay in their
                table; the deletion is in ``deleted``).
            changing: ``(stream, key)`` of rows changed while the last run read: judged
                after the next run.
        """
        counts = {"rows_lost": 0, "rows_doubled": 0, "stale_rows": 0}
        self.problems: list[str] = []
        for spec in (SPECS[name] for name in self.streams):
            actual, doubled = warehouse_rows(self.db, spec.name, spec.key)
            expected = self.expected(spec.name)
            skip = {k for s, k in changing if s == spec.name}
            gone = {k for s, k in deleted if s == spec.name}
            lost = [k for k in expected if k not in actual and k not in skip]
            stale = [k for k, record in expected.items()
                     if k in actual and k not in skip and any(
                         not same(v, actual[k].get(n.lower()))
                         for n, v in record.items())]
            extra = [k for k in actual if k not in expected and k not in gone and k not in skip]
            counts["rows_lost"] += len(lost)
            counts["rows_doubled"] += doubled
            counts["stale_rows"] += len(stale)
            for what, keys in (("lost", lost), ("stale", stale), ("unexpected", extra)):
                if keys:
                    self.problems.append(f"{spec.name}: {len(keys)} {what}, e.g. {keys[:2]}")
            for k in stale[:2]:
                fields = {n: (v, actual[k].get(n.lower())) for n, v in expected[k].items()
                          if not same(v, actual[k].get(n.lower()))}
                self.problems.append(f"  {k}: (truth, stored) {fields}")
            if doubled:
                self.problems.append(f"{spec.name}: {doubled} keys stored twice")
        return counts


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL a process group started with ``start_new_session`` (if still there)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=60)


def child_pids(root: int, marker: str) -> list[int]:
    """Descendants of ``root`` whose command line contains ``marker`` (from /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parts = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children[int(parts[1])].append(int(entry.name))
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            todo.append(child)
            if marker in commands.get(child, ""):
                found.append(child)
    return found


def one_line_error(outcome: Outcome, prefix: str = "tap-exactonline:") -> str:
    """The single error line of a failed run (asserts there is exactly one and no traceback)."""
    assert outcome.returncode != 0, outcome.stderr[-2000:]
    assert not outcome.traceback, outcome.stderr[-3000:]
    lines = outcome.error_lines(prefix)
    assert len(lines) == 1, outcome.stderr[-3000:]
    assert re.match(r"^\S", lines[0])
    return lines[0]


def truth_differences(sandbox: Any, divisions: list[int], stream: str,
                      records: list[dict[str, Any]], *, only_these: bool = False) -> list[str]:
    """How the tap's ``records`` of ``stream`` differ from the sandbox's truth (none: []);
    ``only_these``: judge only the rows given (a run that read some rows, not all)."""
    expected = expected_by_key(sandbox, divisions, stream)
    actual = {key_of(stream, r): r for r in records}
    if only_these:
        expected = {k: v for k, v in expected.items() if k in actual}
    return differences(stream, expected, actual, exact_fields=True)
