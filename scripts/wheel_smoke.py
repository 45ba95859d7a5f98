"""Install the built wheel the way a user does and use it: CI runs this before `make test`.

1. A fresh venv gets ``pip install <wheel>`` (no extras, no dev tools): no web server may
   arrive with it, and ``tap-exactonline --about``, ``--discover`` and ``exactonline --help``
   work.
2. A second fresh venv gets ``pip install '<wheel>[sandbox]'``: ``exactonline sandbox serve``
   starts, and the first venv's tap syncs two streams from it (rows arrive, STATE is written).

Usage: python scripts/wheel_smoke.py dist/tap_exactonline_finance-*.whl [workdir]
Exit 0 when every step worked; otherwise one line says which step failed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CLIENT_ID = "11111111-2222-3333-4444-555555555555"


def step(what: str) -> None:
    print(f"==> wheel smoke: {what}", flush=True)


def fail(what: str, output: str = "") -> None:
    if output:
        print(output[-4000:], file=sys.stderr)
    print(f"wheel smoke FAILED: {what}", file=sys.stderr)
    sys.exit(1)


def run(cmd: list[str], what: str, **kwargs: object) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        fail(f"{what} (exit {result.returncode})", result.stdout + result.stderr)
    return str(result.stdout)


def venv(path: Path, requirement: str) -> Path:
    run([sys.executable, "-m", "venv", str(path)], f"python -m venv {path}")
    bin_dir = path / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", requirement],
        f"pip install {requirement}")
    return bin_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    wheel = Path(sys.argv[1]).resolve()
    work = Path(sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="wheel-smoke-"))
    work.mkdir(parents=True, exist_ok=True)

    step(f"pip install {wheel.name} (no extras) into a fresh venv")
    tap_bin = venv(work / "tap", str(wheel))
    for module in ("starlette", "uvicorn"):
        probe = subprocess.run([str(tap_bin / "python"), "-c", f"import {module}"],
                               capture_output=True, check=False)
        if probe.returncode == 0:
            fail(f"`pip install {wheel.name}` brought the web server package {module}")
    about = json.loads(run([str(tap_bin / "tap-exactonline"), "--about", "--format=json"],
                           "tap-exactonline --about"))
    if about.get("name") != "tap-exactonline":
        fail(f"--about names {about.get('name')!r}, expected 'tap-exactonline'")
    run([str(tap_bin / "exactonline"), "--help"], "exactonline --help")
    sandbox_without_extra = subprocess.run(
        [str(tap_bin / "exactonline"), "sandbox", "serve", "--port", "1"],
        capture_output=True, text=True, check=False)
    if sandbox_without_extra.returncode == 0 or "[sandbox]" not in sandbox_without_extra.stderr:
        fail("`exactonline sandbox serve` without the extra must say to install [sandbox]",
             sandbox_without_extra.stderr)

    step(f"pip install '{wheel.name}[sandbox]' into a second fresh venv")
    sandbox_bin = venv(work / "sandbox", f"{wheel}[sandbox]")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "sandbox.log").open("wb")
    sandbox = subprocess.Popen(
        [str(sandbox_bin / "exactonline"), "sandbox", "serve", "--port", str(port),
         "--rows", "300", "--divisions", "1", "--refresh-token", "smoke-seed"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=2):
                    break
            except OSError:
                if sandbox.poll() is not None or time.monotonic() > deadline:
                    fail("the sandbox from the [sandbox] extra did not start",
                         (work / "sandbox.log").read_text())
                time.sleep(0.2)

        step("tap-exactonline --discover, then a sync of two streams from the sandbox")
        config = work / "config.json"
        config.write_text(json.dumps({
            "client_id": CLIENT_ID, "client_secret": "sandbox-client-secret",
            "refresh_token": "smoke-seed", "base_url": url,
            "token_store_path": str(work / "tokens.fernet"),
            "token_store_key": "wheel-smoke-store-key",
        }))
        os.chmod(config, 0o600)
        catalog = json.loads(run([str(tap_bin / "tap-exactonline"), "--config", str(config),
                                  "--discover"], "tap-exactonline --discover"))
        wanted = {"gl_accounts", "transaction_lines"}
        names = {entry["tap_stream_id"] for entry in catalog["streams"]}
        if not wanted <= names:
            fail(f"--discover lacks {sorted(wanted - names)}")
        for entry in catalog["streams"]:
            for meta in entry["metadata"]:
                if meta["breadcrumb"] == []:
                    meta["metadata"]["selected"] = entry["tap_stream_id"] in wanted
        (work / "catalog.json").write_text(json.dumps(catalog))
        out = run([str(tap_bin / "tap-exactonline"), "--config", str(config), "--catalog",
                   str(work / "catalog.json")], "tap-exactonline sync")
        messages = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        records: dict[str, int] = {}
        for message in messages:
            if message["type"] == "RECORD":
                records[message["stream"]] = records.get(message["stream"], 0) + 1
        if set(records) != wanted or min(records.values()) == 0:
            fail(f"sync gave records {records}, expected rows of {sorted(wanted)}")
        if not any(m["type"] == "STATE" for m in messages):
            fail("sync wrote no STATE")
        step(f"ok: {records}")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=20)


if __name__ == "__main__":
    main()
