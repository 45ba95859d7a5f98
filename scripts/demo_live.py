"""`make demo-live`: a change in the sandbox arrives in DuckDB within seconds, through webhooks.

Steps (each prints a ``==>`` progress line):

1. start the sandbox of ``make demo`` (same data file, output/sandbox.sqlite);
2. start the receiver the way a user does, ``meltano --environment=demo invoke
   exactonline:webhooks``, with a 5-second debounce, its event store in
   output/webhook-events-live.sqlite, and a ``webhook_command`` that loads into
   output/exactonline-live.duckdb under its own Meltano state ID (``--state-id-suffix live``),
   so the ``make demo`` warehouse and state are left alone;
3. subscribe to topics Accounts and SalesInvoices (``exactonline webhooks subscribe``);
4. change an account's ``Remarks`` and create a sales invoice through ``/_sandbox/mutate``,
   and print, for each, how long it took until DuckDB held it;
5. print the audit trail (``exactonline webhooks events``) and stop everything.

Every process runs in its own process group and is stopped in a ``finally`` block.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import duckdb
import requests
from demo import (
    BIN,
    DEMO_TOKEN_STORE,
    OUTPUT,
    ROOT,
    _on_sigterm,
    demo_env,
    demo_settings,
    fail,
    free_port,
    sandbox,
    step,
    stop_group,
)

WAREHOUSE = OUTPUT / "exactonline-live.duckdb"
EVENTS = OUTPUT / "webhook-events-live.sqlite"
RECEIVER_LOG = OUTPUT / "demo-live-receiver.log"
SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret"  # the sandbox's default (throwaway)
DEBOUNCE = 5
STATE_ID = "demo:tap-exactonline-to-target-duckdb:live"


def live_env(url: str) -> dict[str, str]:
    """The demo environment plus the receiver's settings."""
    return {
        **demo_env(url),
        "TARGET_DUCKDB_FILEPATH": str(WAREHOUSE),
        "TAP_EXACTONLINE_WEBHOOK_SECRET": SANDBOX_WEBHOOK_SECRET,
        "TAP_EXACTONLINE_WEBHOOK_EVENT_STORE": str(EVENTS),
        "TAP_EXACTONLINE_WEBHOOK_DEBOUNCE_SECONDS": str(DEBOUNCE),
        "TAP_EXACTONLINE_WEBHOOK_COMMAND": f"{BIN / 'meltano'} --environment=demo run "
                                           "--state-id-suffix=live tap-exactonline "
                                           "target-duckdb",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def meltano(env: dict[str, str], *args: str) -> str:
    """``meltano --environment=demo <args>``; its stdout, or a one-line failure."""
    proc = subprocess.run([str(BIN / "meltano"), "--environment=demo", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        fail(f"`meltano {' '.join(args)}` failed: {proc.stderr.strip()[-600:]}")
    return proc.stdout


def wait(predicate: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll ``predicate`` until truthy; a one-line failure after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    fail(f"timed out after {seconds:.0f} s waiting for {what}; receiver log: {RECEIVER_LOG}")
    return None


def in_duckdb(sql: str, args: list[Any]) -> Any:
    """One value from the live warehouse (None when absent)."""
    if not WAREHOUSE.exists():
        return None
    try:
        with duckdb.connect(str(WAREHOUSE), read_only=True) as con:
            row = con.execute(sql, args).fetchone()
    except duckdb.CatalogException:  # the table does not exist yet
        return None
    return row[0] if row else None


def health(receiver_url: str) -> dict[str, Any]:
    return requests.get(f"{receiver_url}/webhooks/health", timeout=10).json()


def wait_until_loaded(receiver_url: str, after_run: int, check: Callable[[], Any],
                      what: str) -> int:
    """Wait for a run after ``after_run`` to finish, then ``check`` DuckDB; returns the run.

    DuckDB is read only between runs: a reader holding the file would make target-duckdb's
    write fail (DuckDB allows one writing process and no readers beside it).
    """
    def loaded() -> int | None:
        nonlocal after_run
        state = health(receiver_url)
        run = state["last_run"] or {}
        if state["running_run"] or state["pending"] or run.get("id", 0) <= after_run:
            return None
        if run["outcome"] == "succeeded" and check():
            return int(run["id"])
        after_run = int(run["id"])  # a run without our change (or a failed one): wait more
        return None

    return int(wait(loaded, 300, what))


def show_change(started: float, receiver_url: str) -> None:
    run = health(receiver_url)["last_run"] or {}
    print(f"    in DuckDB after {time.monotonic() - started:.1f} s (debounce {DEBOUNCE} s, "
          f"then run {run.get('id')}: divisions {run.get('divisions')}, streams "
          f"{', '.join(run.get('streams') or [])})", flush=True)


def main() -> None:
    """Run the live demo; exit 0 on success, 1 with a one-line reason otherwise."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    OUTPUT.mkdir(exist_ok=True)
    step("reading the demo environment from meltano.yml")
    settings = demo_settings()
    for path in (DEMO_TOKEN_STORE, DEMO_TOKEN_STORE.with_name(DEMO_TOKEN_STORE.name + ".lock"),
                 *OUTPUT.glob(f"{WAREHOUSE.name}*"), *OUTPUT.glob(f"{EVENTS.name}*")):
        path.unlink(missing_ok=True)
    step("starting the Exact Online sandbox (the data of `make demo`)")
    with sandbox(settings) as url:
        env = live_env(url)
        meltano(env, "state", "clear", "--force", STATE_ID)
        division = requests.get(f"{url}/_sandbox/divisions", timeout=30).json()["current"]
        port = free_port()
        receiver_url = f"http://127.0.0.1:{port}"
        step(f"starting the receiver: meltano --environment=demo invoke exactonline:webhooks "
             f"--port {port} (log: {RECEIVER_LOG.relative_to(ROOT)})")
        with RECEIVER_LOG.open("wb") as log:
            receiver = subprocess.Popen(
                [str(BIN / "meltano"), "--environment=demo", "invoke", "exactonline:webhooks",
                 "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait(lambda: _answers(receiver_url), 180, "the receiver to start")
            step(f"subscribing {receiver_url}/webhooks/exactonline to Accounts and "
                 f"SalesInvoices in division {division}")
            print(meltano(env, "invoke", "exactonline", "webhooks", "subscribe",
                          "--callback-url", f"{receiver_url}/webhooks/exactonline",
                          "--topic", "Accounts", "--topic", "SalesInvoices",
                          "--division", str(division)).rstrip(), flush=True)

            account = requests.get(f"{url}/_sandbox/truth/{division}/accounts",
                                   timeout=60).json()["records"][0]["ID"]
            remarks = f"live change at {time.strftime('%H:%M:%S')}"
            step(f"change 1: account {account} gets Remarks {remarks!r}")
            started = time.monotonic()
            requests.post(f"{url}/_sandbox/mutate", timeout=60, json={
                "division": division, "stream": "accounts", "action": "update",
                "ids": [account], "fields": {"Remarks": remarks}}).raise_for_status()
            last = wait_until_loaded(
                receiver_url, 0, lambda: in_duckdb(
                    'SELECT remarks FROM "exactonline-live".exactonline.accounts '
                    "WHERE lower(id) = ?", [account]) == remarks, "the account change in DuckDB")
            show_change(started, receiver_url)

            step("change 2: a new sales invoice")
            started = time.monotonic()
            created = requests.post(f"{url}/_sandbox/mutate", timeout=60, json={
                "division": division, "stream": "sales_invoices", "action": "create",
                "count": 1}).json()["changed"]
            invoice = str(created[0]["ID"]).lower()
            wait_until_loaded(
                receiver_url, last, lambda: in_duckdb(
                    'SELECT count(*) FROM "exactonline-live".exactonline.sales_invoices '
                    "WHERE lower(id) = ?", [invoice]), "the new invoice in DuckDB")
            show_change(started, receiver_url)

            step("the audit trail: exactonline webhooks events")
            out = subprocess.run([str(BIN / "exactonline"), "webhooks", "events"], env=env,
                                 cwd=ROOT, capture_output=True, text=True, timeout=60,
                                 check=False)
            print(out.stdout.rstrip(), flush=True)
            print(json.dumps(health(receiver_url)["last_run"], indent=2), flush=True)
        finally:
            stop_group(receiver)
        step(f"done: {WAREHOUSE.relative_to(ROOT)} holds both changes; the receiver and the "
             "sandbox are stopped")


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/webhooks/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ndemo-live: interrupted; the receiver and the sandbox were stopped",
              file=sys.stderr)
        raise SystemExit(130) from None
