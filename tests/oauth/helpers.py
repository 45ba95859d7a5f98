"""Helpers for the OAuth tests: configs, CLI runs, a tap-like driver, the browser's part."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tap_exactonline.tokenstore import TokenRecord, open_token_store
from tests.support.sandbox import SandboxProcess, exactonline_executable, free_port

DRIVER = Path(__file__).with_name("driver.py")
STORE_KEY = "test passphrase for the token store 9Qv"


def write_config(tmp_path: Path, sandbox: SandboxProcess, name: str = "config.json",
                 **overrides: Any) -> Path:
    """A tap config JSON for ``sandbox`` with a token store under ``tmp_path``."""
    settings = sandbox.tap_config(
        seed=True,  # each OAuth test has its own sandbox: use its seed, as a user would
        token_store_path=str(tmp_path / "store" / "tokens.fernet"),
        token_store_key=STORE_KEY,
    )
    settings.update(overrides)
    settings = {k: v for k, v in settings.items() if v is not None}
    path = tmp_path / name
    path.write_text(json.dumps(settings))
    return path


def run_cli(config: Path, *args: str, timeout: float = 60, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``exactonline --config CONFIG ARGS...`` as a user runs it."""
    return subprocess.run(
        [exactonline_executable(), "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, cwd=cwd or config.parent,
        env={**os.environ, **(env or {})}, check=False,
    )


def driver_command(config: Path, *, seconds: float = 0.0, interval: float = 0.05,
                   log_level: str = "INFO") -> list[str]:
    """Command line of a tap-like run: API calls through the authenticator for ``seconds``."""
    return [sys.executable, str(DRIVER), str(config), "--seconds", str(seconds),
            "--interval", str(interval), "--log-level", log_level]


def run_driver(
    config: Path, timeout: float = 60, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        driver_command(config, **kwargs), capture_output=True, text=True, timeout=timeout,
        cwd=config.parent, check=False,
    )


def config_store(config: Path) -> Any:
    """The token store the config names, opened with its key (the test knows it)."""
    settings = json.loads(config.read_text())
    return open_token_store(
        client_id=settings["client_id"], client_secret=settings["client_secret"],
        base_url=settings["base_url"], token_store_path=settings.get("token_store_path"),
        token_store_key=settings.get("token_store_key"),
    )


def read_store(config: Path) -> TokenRecord | None:
    """Decrypt the store the config names."""
    store = config_store(config)
    try:
        return store.load()
    finally:
        store.close()


def fresh_refresh_token(sandbox: SandboxProcess, redirect_uri: str = "http://127.0.0.1:9/c") -> str:
    """A new refresh token obtained the way a user would elsewhere (code flow, by hand)."""
    resp = requests.get(f"{sandbox.url}/api/oauth2/auth", params={
        "client_id": sandbox.options["client_id"], "redirect_uri": redirect_uri,
        "response_type": "code", "state": "s"}, allow_redirects=False, timeout=30)
    assert resp.status_code == 302, resp.text
    code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    token = requests.post(f"{sandbox.url}/api/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": sandbox.options["client_id"],
        "client_secret": sandbox.options["client_secret"]}, timeout=30)
    assert token.status_code == 200, token.text
    return token.json()["refresh_token"]


def advance_clock(sandbox: SandboxProcess, seconds: float) -> None:
    """``POST /_sandbox/clock`` (token lifetimes follow the sandbox clock)."""
    resp = requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance_seconds": seconds},
                         timeout=30)
    resp.raise_for_status()


def travel(sandbox: SandboxProcess, config: Path, seconds: float) -> None:
    """Let ``seconds`` pass for the sandbox and the client alike, without waiting.

    The sandbox clock moves forward (``POST /_sandbox/clock``) and every time in the client's
    token store moves back by as much, so token lifetimes, the 570-second rule and the 30-day
    expiry are crossed deterministically with Exact's real 600-second tokens, instead of
    sleeping through short ones (which races the clock on a loaded machine).
    """
    advance_clock(sandbox, seconds)
    store = config_store(config)
    try:
        with store.transaction() as tx:
            record = tx.load()
            if record is not None:
                tx.save(replace(record, **{
                    name: getattr(record, name) - seconds for name in (
                        "access_token_issued_at", "access_token_expires_at",
                        "refresh_token_issued_at", "last_refresh_at")
                    if getattr(record, name) is not None}))
    finally:
        store.close()


def start_of_next_utc_day(sandbox: SandboxProcess) -> None:
    """Move the sandbox clock just past the next 00:00 UTC, so a test's per-day token counts
    cannot be split by midnight."""
    now = requests.get(f"{sandbox.url}/_sandbox/clock", timeout=30).json()["now"]
    advance_clock(sandbox, 86_400 - now % 86_400 + 60)


def reset_stats(sandbox: SandboxProcess) -> None:
    requests.post(f"{sandbox.url}/_sandbox/reset-stats", timeout=30).raise_for_status()


def login(sandbox: SandboxProcess, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run `exactonline auth login`, playing the browser on the printed URL."""
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    proc = subprocess.Popen(
        [exactonline_executable(), "--config", str(config), "auth", *extra, "login",
         "--no-browser", "--redirect-uri", redirect, "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.parent)
    try:
        assert proc.stdout is not None
        url = ""
        head: list[str] = []
        for line in proc.stdout:
            head.append(line)
            if line.strip().startswith("http"):
                url = line.strip()
                break
        assert url.startswith(f"{sandbox.url}/api/oauth2/auth?"), url
        consent = requests.get(url, allow_redirects=False, timeout=30)
        assert consent.status_code == 302
        location = consent.headers["Location"]
        assert location.startswith(redirect)
        assert "%21" in location  # the code's "!" arrives URL-encoded
        landing = requests.get(location, timeout=30)
        assert landing.status_code == 200
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(head) + out, err)
