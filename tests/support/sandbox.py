"""Start and drive the Exact Online sandbox the way a user does: ``exactonline sandbox serve``.

Every test that needs Exact Online talks to a real sandbox process over loopback HTTP through
this class; nothing here mocks our own code.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "sandbox-client-secret-Zq8"
REFRESH_TOKEN_SEED = "sandbox-seed-refresh-token-Kx3"
WEBHOOK_SECRET = "sandbox-webhook-secret-Wm5"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def exactonline_executable() -> str:
    """Path of the ``exactonline`` console script of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "exactonline"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("exactonline")
    if not found:
        raise RuntimeError("exactonline is not installed: run `make test` (it installs it)")
    return found


class SandboxProcess:
    """One ``exactonline sandbox serve`` process on a free loopback port.

    Args:
        options: Sandbox options by their long name without dashes, underscores for dashes
            (``rows=500`` -> ``--rows 500``; ``minute_seconds=1`` -> ``--minute-seconds 1``).
            ``client_id``, ``client_secret``, ``refresh_token`` and ``webhook_secret`` default
            to the throwaway values of this module.
    """

    def __init__(self, **options: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.options: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN_SEED,
            "webhook_secret": WEBHOOK_SECRET,
            **options,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    def command(self) -> list[str]:
        """The command line that starts this sandbox."""
        cmd = [exactonline_executable(), "sandbox", "serve", "--host", "127.0.0.1",
               "--port", str(self.port)]
        for name, value in self.options.items():
            if value is None or value is False:
                continue
            flag = "--" + name.replace("_", "-")
            cmd += [flag] if value is True else [flag, str(value)]
        return cmd

    def start(self, log_dir: Path | None = None, timeout: float = 120.0) -> SandboxProcess:
        """Start the process and wait until ``GET /_sandbox/stats`` answers.

        Starting a process that is already running does nothing (``with`` on a started
        ``SandboxProcess`` must not start a second one on the same port).

        Raises:
            RuntimeError: The process exited or did not answer within ``timeout`` seconds.
        """
        if self.proc is not None and self.proc.poll() is None:
            return self
        log_dir = log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
        self.log_path = log_dir / f"sandbox-{self.port}.log"
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_path.read_text()[-2000:]
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}: {tail}")
            try:
                if requests.get(f"{self.url}/_sandbox/stats", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sandbox did not start within {timeout}s; log: {self.log_path}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control API (/_sandbox/) -------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """``GET /_sandbox/stats``."""
        return requests.get(f"{self.url}/_sandbox/stats", timeout=30).json()

    def truth(self, division: int, stream: str) -> list[dict[str, Any]]:
        """``GET /_sandbox/truth/{division}/{stream}``: the current rows as the API returns them."""
        resp = requests.get(f"{self.url}/_sandbox/truth/{division}/{stream}", timeout=120)
        resp.raise_for_status()
        return resp.json()["records"]

    def mutate(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /_sandbox/mutate`` with a JSON body; returns the JSON answer."""
        resp = requests.post(f"{self.url}/_sandbox/mutate", json=body, timeout=60)
        resp.raise_for_status()
        return resp.json()

    def faults(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /_sandbox/faults`` with a JSON body; returns the JSON answer."""
        resp = requests.post(f"{self.url}/_sandbox/faults", json=body, timeout=60)
        resp.raise_for_status()
        return resp.json()

    def fresh_refresh_token(self) -> str:
        """A newly authorized refresh token (``POST /_sandbox/oauth/refresh-token``).

        Each call starts a token chain of its own and resets the 570-second refresh interval,
        as a fresh ``exactonline auth login`` would. Tests sharing one sandbox use this rather
        than the seed, which rotates (and is then rejected) on its first use.
        """
        resp = requests.post(
            f"{self.url}/_sandbox/oauth/refresh-token",
            json={"reset_refresh_interval": True},
            timeout=30,
        )
        resp.raise_for_status()
        return str(resp.json()["refresh_token"])

    def access_token(self) -> str:
        """An access token of a newly authorized refresh token (no 570-second wait)."""
        resp = requests.post(
            f"{self.url}/api/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.fresh_refresh_token(),
                "client_id": self.options["client_id"],
                "client_secret": self.options["client_secret"],
            },
            timeout=30,
        )
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def tap_config(self, *, seed: bool = False, **overrides: Any) -> dict[str, Any]:
        """A tap config that points at this sandbox with its throwaway credentials.

        Args:
            seed: Use the sandbox's seed refresh token (``--refresh-token``) instead of a
                freshly authorized one (:meth:`fresh_refresh_token`).
            overrides: Further settings.
        """
        refresh_token = self.options["refresh_token"] if seed else self.fresh_refresh_token()
        return {
            "client_id": self.options["client_id"],
            "client_secret": self.options["client_secret"],
            "refresh_token": refresh_token,
            "base_url": self.url,
            **overrides,
        }


def sandbox_starter(
    log_dir: Path, defaults: dict[str, Any]
) -> Iterator[Callable[..., SandboxProcess]]:
    """Body of a ``start_sandbox`` fixture: ``start(**options)`` starts a sandbox with
    ``defaults`` overridden by ``options`` (logs in ``log_dir``); all are stopped at the end."""
    started: list[SandboxProcess] = []

    def start(**options: object) -> SandboxProcess:
        proc = SandboxProcess(**{**defaults, **options})
        started.append(proc)
        log_dir.mkdir(exist_ok=True)
        return proc.start(log_dir=log_dir)

    yield start
    for proc in started:
        proc.stop()
