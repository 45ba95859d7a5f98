"""Start the webhook receiver the way a user does and talk to it over loopback HTTP.

``ReceiverProcess`` runs ``exactonline --config FILE webhooks serve`` (or, for the pipeline
test, ``meltano invoke exactonline:webhooks``) on a free port; ``signed`` builds a notification
body exactly as Exact (and the sandbox) sends it; ``RecordingCommand`` is a ``webhook_command``
that records the environment of every run it is started for.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tap_exactonline.webhooks.notification import hash_code
from tests.support.sandbox import exactonline_executable, free_port

SECRET = "receiver-test-webhook-secret-Qp2"  # throwaway test value
DIVISION = 3100001


def content_bytes(topic: str = "Accounts", key: str = "0b6c4d3e-1f2a-4b5c-8d9e-0a1b2c3d4e5f",
                  action: str = "Update", division: int = DIVISION,
                  created: str = "2026-11-21T09:12:33.087") -> bytes:
    """A Content object in Exact's key order (fact sheet §9), as raw bytes."""
    return json.dumps({
        "Topic": topic, "ClientId": "11111111-2222-3333-4444-555555555555",
        "Division": division, "Action": action, "Key": key,
        "ExactOnlineEndpoint": f"https://start.exactonline.nl/api/v1/{division}/crm/"
                               f"Accounts(guid'{key}')",
        "EventCreatedOn": created,
    }, separators=(",", ":")).encode()


def signed(content: bytes, secret: str = SECRET) -> bytes:
    """``{"Content":<content>,"HashCode":"<HMAC>"}`` with the HMAC of the raw bytes."""
    return b'{"Content":' + content + b',"HashCode":"' + hash_code(content, secret).encode() \
        + b'"}'


def notification(secret: str = SECRET, **fields: Any) -> bytes:
    """A signed notification body (fields as :func:`content_bytes`)."""
    return signed(content_bytes(**fields), secret)


class ReceiverProcess:
    """One receiver process on a free loopback port.

    Args:
        work: Folder for the config file, the event store, run logs and the process log.
        settings: Tap settings (``webhook_*`` included) written to the ``--config`` file.
        command: The argv that starts the receiver; default ``exactonline --config FILE
            webhooks serve --host 127.0.0.1 --port PORT``.
        env: Environment of the process (default: this one).
        cwd: Where it runs (default ``work``).
    """

    def __init__(self, work: Path, settings: dict[str, Any] | None = None, *,
                 command: list[str] | None = None, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.work = work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.url}/webhooks/exactonline"
        self.config = work / "receiver-config.json"
        self.settings = {
            "client_id": "11111111-2222-3333-4444-555555555555",
            "client_secret": "unused-client-secret",
            "webhook_secret": SECRET,
            "webhook_event_store": str(work / "events.sqlite"),
            "webhook_debounce_seconds": 1,
            **(settings or {}),
        }
        self.command = command
        self.env = env
        self.cwd = cwd or work
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = work / f"receiver-{self.port}.log"

    def argv(self) -> list[str]:
        if self.command is not None:
            return [*self.command, "--host", "127.0.0.1", "--port", str(self.port)]
        return [exactonline_executable(), "--config", str(self.config), "webhooks", "serve",
                "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self, timeout: float = 90.0) -> ReceiverProcess:
        """Start and wait until ``GET /webhooks/health`` answers 200."""
        self.config.write_text(json.dumps(self.settings))
        self.config.chmod(0o600)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT,
                                     env=self.env, cwd=self.cwd, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"receiver exited with {self.proc.returncode}: {self.log()}")
            try:
                if requests.get(f"{self.url}/webhooks/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"receiver did not start within {timeout}s: {self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Stop the process group (``SIGKILL`` simulates a crash); returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def __enter__(self) -> ReceiverProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def post(self, body: bytes, **kwargs: Any) -> requests.Response:
        return requests.post(self.endpoint, data=body, timeout=30,
                             headers={"Content-Type": "application/json"}, **kwargs)

    def health(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/webhooks/health", timeout=30).json()

    def events(self, *extra: str) -> list[dict[str, Any]]:
        """``exactonline --config FILE webhooks events --json`` (the audit trail command)."""
        out = subprocess.run([exactonline_executable(), "--config", str(self.config),
                              "webhooks", "events", "--json", *extra],
                             capture_output=True, text=True, timeout=60, check=True)
        return json.loads(out.stdout)


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition",
             interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class RecordingCommand:
    """A ``webhook_command``: a Python script that appends its run's environment to a file.

    Args:
        folder: Where the script and its records live.
        seconds: How long each run takes.
        fail_first: Runs that exit 1 before the first success.
    """

    def __init__(self, folder: Path, *, seconds: float = 0.0, fail_first: int = 0) -> None:
        self.script = folder / "record_run.py"
        self.records = folder / "runs.jsonl"
        self.script.write_text(
            "import json, os, sys, time\n"
            f"records = {str(self.records)!r}\n"
            "env = {k: v for k, v in os.environ.items() if k.startswith('TAP_EXACTONLINE')}\n"
            "done = sum(1 for _ in open(records)) if os.path.exists(records) else 0\n"
            f"fail = done < {fail_first}\n"
            f"time.sleep({seconds})\n"
            "with open(records, 'a') as out:\n"
            "    out.write(json.dumps({'env': env, 'failed': fail, 'at': time.time()}) + '\\n')\n"
            "print('recorded run', done + 1, 'failing' if fail else 'ok')\n"
            "sys.exit(1 if fail else 0)\n"
        )

    @property
    def command(self) -> str:
        return f"{sys.executable} {self.script}"

    def runs(self) -> list[dict[str, Any]]:
        if not self.records.exists():
            return []
        return [json.loads(line) for line in self.records.read_text().splitlines() if line]
