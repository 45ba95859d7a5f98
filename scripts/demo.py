"""`make demo`: the main job on a local Exact Online sandbox, into output/demo.duckdb.

Steps (each prints a ``==>`` progress line):

1. read the ``demo`` environment's tap settings from Meltano (one source of truth: meltano.yml);
2. start ``exactonline sandbox serve`` on a free loopback port with those throwaway
   credentials; its data and its OAuth state live in ``output/sandbox.sqlite`` so that later
   runs continue the same administration with the same login;
3. on a second or later run, change the sandbox first (create, update and delete a few rows
   through ``/_sandbox/mutate``), so that the incremental run has something to pick up;
4. ``meltano --environment=demo run tap-exactonline target-duckdb dbt-duckdb:build`` with
   ``TAP_EXACTONLINE_BASE_URL`` pointing at the sandbox (full log in output/demo-meltano.log): the
   models, including the reconciliation with Exact's own reports, are built and tested in the
   same run (a failing dbt test, e.g. a reconciliation, fails it);
5. stop the sandbox and print the rows per table (before, now, received this run), the
   trial balance of the last closed month from ``mart_trial_balance``, the reconciliation
   (scripts/demo_report.py) and where the dbt models are.

The demo runs on its own settings only. A user's ``.env`` (Meltano reads it; ``cp .env.example
.env`` is step 2 of connecting real Exact Online) and ``TAP_*``/``TARGET_*``/``DBT_*``/
``BI_REFRESH_*`` variables of the shell are ignored: Meltano gets an empty ``--env-file`` and a
cleaned environment, so a real client id, secret or store key never reaches the sandbox or the
demo's token store. The sandbox gets its throwaway app credentials through environment
variables, never on its command line (which every user of the machine can read).

Every process it starts runs in its own process group and is stopped in a ``finally`` block,
on success, failure, Ctrl-C or SIGTERM alike.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from demo_report import print_report, table_counts

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
WAREHOUSE = OUTPUT / "demo.duckdb"
SANDBOX_DB = OUTPUT / "sandbox.sqlite"
MELTANO_LOG = OUTPUT / "demo-meltano.log"
SANDBOX_LOG = OUTPUT / "demo-sandbox.log"
#: An empty dotenv file for Meltano's --env-file: the project's .env is not the demo's.
EMPTY_ENV_FILE = ROOT / "meltano" / "demo.env"
BIN = Path(sys.executable).parent
DEMO_TOKEN_STORE = ROOT / ".meltano" / "exactonline" / "demo-token.fernet"
#: Variables of the user's shell the demo drops: plugin settings (which Meltano would prefer
#: over meltano.yml's demo environment), the sandbox's own, and Meltano's environment, system
#: database and state backend (which may point at production).
FOREIGN_PREFIXES = ("TAP_", "TARGET_", "DBT_", "BI_REFRESH_", "EXACTONLINE_SANDBOX_",
                    "MELTANO_ENVIRONMENT", "MELTANO_DATABASE_URI", "MELTANO_STATE_BACKEND")
RUN = ("tap-exactonline", "target-duckdb", "dbt-duckdb:build")

SANDBOX_OPTIONS = {"seed": 42, "divisions": 2, "rows": 5000}
#: The dbt layers (transform/dbt_project.yml), in the order a user reads them.
MODEL_SCHEMAS = (
    ("analytics_staging", "typed, snake_case: amounts DECIMAL(38,6), dates DATE (views)"),
    ("analytics_current", "latest version per key, deleted rows removed"),
    ("analytics_history", "every version with valid_from/valid_to"),
    ("analytics_marts", "trial balance, statements, budget vs actual, aging, reconciliation"),
)
# Changes applied before each later run: (stream, action, count) per accessible division.
MUTATIONS = [
    ("sales_invoices", "create", 2),
    ("accounts", "update", 3),
    ("contacts", "delete", 1),
    ("general_journal_entries", "create", 1),
]


def step(message: str) -> None:
    """Print one progress line."""
    print(f"==> {message}", flush=True)


def fail(message: str) -> None:
    """Print a one-line error and exit 1."""
    print(f"demo: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_group(proc: subprocess.Popen[Any]) -> None:
    """Stop a process and everything in its process group (SIGTERM, then SIGKILL)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):  # children that outlived their parent
        os.killpg(proc.pid, signal.SIGKILL)


def clean_env() -> dict[str, str]:
    """The process environment without the user's settings (:data:`FOREIGN_PREFIXES`)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}


def demo_env(url: str = "http://127.0.0.1:8780") -> dict[str, str]:
    """Environment of the demo's Meltano commands (with :func:`meltano_command`'s --env-file).

    Only the demo's own values: the sandbox URL, the demo's token store (the demo deletes it
    when it starts over, so it must never be a real one), all divisions, the warehouse file for
    target-duckdb and dbt-duckdb. Everything else comes from meltano.yml's demo environment.
    """
    return {
        **clean_env(),
        "TAP_EXACTONLINE_BASE_URL": url,
        "TAP_EXACTONLINE_TOKEN_STORE_PATH": str(DEMO_TOKEN_STORE),
        "TAP_EXACTONLINE_DIVISIONS": "[]",
        "TAP_EXACTONLINE_ALL_DIVISIONS": "true",
        "TARGET_DUCKDB_FILEPATH": str(WAREHOUSE),
        "DBT_DUCKDB_PATH": str(WAREHOUSE),
        "DBT_TARGET_PATH": str(OUTPUT / "dbt-target"),
        "DBT_LOG_PATH": str(OUTPUT / "dbt-logs"),
        "PYTHONUNBUFFERED": "1",
    }


def meltano_command(*args: str, json_log: bool = False) -> list[str]:
    """``meltano --env-file <empty> --environment=demo <args>``: the project's .env unread."""
    return [str(BIN / "meltano"), *(["--log-format=json"] if json_log else []),
            "--env-file", str(EMPTY_ENV_FILE), "--environment=demo", *args]


def demo_settings() -> dict[str, Any]:
    """The tap settings of Meltano's ``demo`` environment (secrets included: throwaway)."""
    out = subprocess.run(
        meltano_command("config", "--unsafe", "print", "tap-exactonline"),
        cwd=ROOT, env=demo_env(), capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        fail(f"`meltano config print tap-exactonline` failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout)


def sandbox_command(port: int) -> list[str]:
    """``exactonline sandbox serve`` with the demo's options: no credential on it."""
    cmd = [
        str(BIN / "exactonline"), "sandbox", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--db", str(SANDBOX_DB),
        # Exact's 60 calls/minute, on a 1-second "minute": real headers, a quick demo.
        "--minute-seconds", "1",
    ]
    for name, value in SANDBOX_OPTIONS.items():
        cmd += [f"--{name}", str(value)]
    return cmd


def sandbox_env(settings: dict[str, Any]) -> dict[str, str]:
    """The sandbox's app credentials (the demo environment's throwaway ones), as variables."""
    return {
        **clean_env(),
        "EXACTONLINE_SANDBOX_CLIENT_ID": str(settings["client_id"]),
        "EXACTONLINE_SANDBOX_CLIENT_SECRET": str(settings["client_secret"]),
        "EXACTONLINE_SANDBOX_REFRESH_TOKEN": str(settings["refresh_token"]),
    }


@contextmanager
def sandbox(settings: dict[str, Any]) -> Iterator[str]:
    """Run ``exactonline sandbox serve`` for the duration of the block; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with SANDBOX_LOG.open("wb") as log:
        proc = subprocess.Popen(sandbox_command(port), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=ROOT, env=sandbox_env(settings))
        try:
            deadline = time.monotonic() + 180
            while True:
                if proc.poll() is not None:
                    fail(f"the sandbox exited with code {proc.returncode}; see {SANDBOX_LOG}")
                try:
                    if requests.get(f"{url}/_sandbox/stats", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    fail(f"the sandbox did not answer within 180 s; see {SANDBOX_LOG}")
                time.sleep(0.2)
            yield url
        finally:
            stop_group(proc)


def mutate(url: str) -> list[str]:
    """Apply :data:`MUTATIONS` in every accessible division; return one line per change kind."""
    divisions = requests.get(f"{url}/_sandbox/divisions", timeout=30).json()["accessible"]
    lines = []
    for stream, action, count in MUTATIONS:
        changed = 0
        for division in divisions:
            resp = requests.post(
                f"{url}/_sandbox/mutate",
                json={"division": division, "stream": stream, "action": action, "count": count},
                timeout=60,
            )
            if not resp.ok:
                fail(f"sandbox mutate {stream}/{action} failed ({resp.status_code}): {resp.text}")
            changed += len(resp.json()["changed"])
        lines.append(f"{action} {count} {stream} per division ({changed} sandbox rows changed)")
    return lines


def run_meltano(url: str, *, full_refresh: bool) -> dict[str, int]:
    """``meltano --environment=demo run tap-exactonline target-duckdb dbt-duckdb:build``.

    Returns the records per stream. Meltano logs JSON lines (``--log-format=json``) so that
    singer-sdk's ``record_count`` metrics keep their tags (stream, division); the log file gets
    one readable line each.
    """
    env = demo_env(url)
    cmd = meltano_command("run", *(["--full-refresh"] if full_refresh else []), *RUN,
                          json_log=True)
    received: dict[str, int] = {}
    with MELTANO_LOG.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(_readable(line, received) + "\n")
            code = proc.wait()
        finally:
            stop_group(proc)
    if code != 0:
        tail = MELTANO_LOG.read_text(encoding="utf-8").splitlines()[-25:]
        print("\n".join(tail), file=sys.stderr)
        fail(f"meltano run failed with exit code {code}; full log: {MELTANO_LOG}")
    return received


def _readable(line: str, received: dict[str, int]) -> str:
    """One log line as text; prints a progress line for each finished stream."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return line.rstrip("\n")
    if not isinstance(event, dict):
        return line.rstrip("\n")
    metric = event.get("metric_info") or {}
    if metric.get("metric") == "record_count":
        tags = metric.get("tags") or {}
        stream = str(tags.get("stream", "?"))
        value = int(metric.get("value", 0))
        received[stream] = received.get(stream, 0) + value
        # one counter per stream, all divisions together (its context tag is the last one)
        print(f"    {stream}: {value} records", flush=True)
    text = (f"{event.get('timestamp', '')} {event.get('level', '')} "
            f"{event.get('name', 'meltano')}: {event.get('event', '')}")
    return f"{text} {json.dumps(metric)}" if metric else text


def main() -> None:
    """Run the demo; exit 0 on success, 1 with a one-line reason otherwise."""
    # Meltano writes each plugin's config (client secret, token store key) to
    # .meltano/run/; a run killed with -9 leaves it behind: only our user may read it.
    os.umask(0o077)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    started = time.monotonic()
    OUTPUT.mkdir(exist_ok=True)
    step("reading the demo environment from meltano.yml (your .env is not read)")
    settings = demo_settings()
    before = table_counts(WAREHOUSE)
    later_run = bool(before) and SANDBOX_DB.exists() and DEMO_TOKEN_STORE.exists()
    if not later_run:
        # Start the three over together: the warehouse, the sandbox (data and logins) and the
        # demo's token store belong to one administration and one login; --full-refresh
        # ignores Meltano's stored STATE.
        for path in OUTPUT.glob(f"{WAREHOUSE.name}*"):
            path.unlink()
        for path in OUTPUT.glob(f"{SANDBOX_DB.name}*"):
            path.unlink()
        for path in (DEMO_TOKEN_STORE,
                     DEMO_TOKEN_STORE.with_name(DEMO_TOKEN_STORE.name + ".lock")):
            path.unlink(missing_ok=True)
        before = {}

    step(f"starting the Exact Online sandbox (seed {SANDBOX_OPTIONS['seed']}, "
         f"{SANDBOX_OPTIONS['divisions']} divisions, {SANDBOX_OPTIONS['rows']} transaction "
         f"lines each; data in {SANDBOX_DB.relative_to(ROOT)})")
    with sandbox(settings) as url:
        step(f"sandbox answers at {url}")
        if later_run:
            step("changing the sandbox's data since the last run")
            for line in mutate(url):
                print(f"    {line}", flush=True)
        step(f"meltano --environment=demo run {' '.join(RUN)} "
             f"({'incremental' if later_run else 'first full'} run; log: "
             f"{MELTANO_LOG.relative_to(ROOT)})")
        received = run_meltano(url, full_refresh=not later_run)
        step("stopping the sandbox")
    print_report(WAREHOUSE, before, received)
    print_next_steps()
    step(f"done in {time.monotonic() - started:.0f} s; run `make demo` again for an "
         "incremental run")


def print_next_steps() -> None:
    """Where the dbt models are, and where amounts are exact."""
    where = WAREHOUSE.relative_to(ROOT)
    print(f"\ndbt models (built by dbt-duckdb:build) in {where}:")
    for schema, what in MODEL_SCHEMAS:
        print(f"  {schema:<22}{what}")
    print(
        "Amounts: target-duckdb stores every number as DOUBLE, so sums over the raw tables\n"
        f"(schema exactonline) carry float residue; query {MODEL_SCHEMAS[0][0]} and the layers\n"
        "above it, where amounts are DECIMAL(38,6) and dates DATE, e.g.\n"
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{where}', read_only=True)"
        ".sql('select * from analytics_marts.mart_trial_balance limit 5'))\"\n"
        "Rebuild the models without the sandbox: .venv/bin/meltano invoke dbt-duckdb:build"
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ndemo: interrupted; the sandbox and Meltano were stopped", file=sys.stderr)
        raise SystemExit(130) from None
