"""The `exactonline sandbox serve` process: options, start-up line, clock, graceful stop."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import requests

from tests.sandbox.protocol_support import advance, start
from tests.support.sandbox import REFRESH_TOKEN_SEED, WEBHOOK_SECRET, exactonline_executable

OPTIONS = ("--host", "--port", "--seed", "--divisions", "--rows", "--db", "--minute-seconds",
           "--minutely-limit", "--daily-limit", "--no-limits", "--access-token-seconds",
           "--refresh-token-days", "--token-calls-per-day", "--code-seconds", "--client-id",
           "--client-secret", "--refresh-token", "--webhook-secret", "--webhook-retries",
           "--webhook-validation", "--log-level")


def test_help_documents_every_option() -> None:
    out = subprocess.run([exactonline_executable(), "sandbox", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for option in OPTIONS:
        assert option in out, option


def test_bad_option_is_a_one_line_error() -> None:
    proc = subprocess.run([exactonline_executable(), "sandbox", "serve", "--minutely-limit", "0"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "--minutely-limit" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_start_line_clock_and_graceful_sigterm(tmp_path: Path) -> None:
    sb = start(tmp_path, seed=11, divisions=3)
    try:
        before = requests.get(f"{sb.url}/_sandbox/clock", timeout=10).json()["now"]
        after = advance(sb, 3600)
        assert after - before >= 3600
        bad = requests.post(f"{sb.url}/_sandbox/clock", json={"advance_seconds": -5}, timeout=10)
        assert bad.status_code == 400
        assert sb.proc is not None
        sb.proc.send_signal(signal.SIGTERM)
        assert sb.proc.wait(timeout=15) == 0
    finally:
        sb.stop()
    assert sb.log_path is not None
    log = sb.log_path.read_text()
    first = log.splitlines()[0]
    assert first.startswith(f"Exact Online sandbox on {sb.url}")
    assert "3100001, 3100018, 3100035" in first
    assert "seed 11" in first
    for secret in (REFRESH_TOKEN_SEED, WEBHOOK_SECRET):
        assert secret not in log
    assert "Traceback" not in log
