"""Secrets never reach a log line, an output, an exception text or a file in clear text."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.oauth.helpers import STORE_KEY, login, read_store, run_cli, run_driver, write_config

# Shapes of the sandbox's token values (Exact's shapes): access tokens, refresh tokens, codes.
TOKEN_SHAPES = re.compile(r"AAEAA[A-Za-z0-9_-]{8}|Gcp7!IAAAA|XTzM!IAAAA")


def _written_files(root: Path) -> list[Path]:
    """Every file our commands wrote (not the test's own config, not the sandbox's log)."""
    return [p for p in root.rglob("*") if p.is_file()
            and p.suffix != ".json" and "sandbox-logs" not in p.parts]


def test_no_secret_in_any_output_or_file_with_debug_logging(start_sandbox, tmp_path):
    sandbox = start_sandbox(access_token_seconds=1)
    config = write_config(tmp_path, sandbox, divisions=[3100001, 3999999])
    settings = json.loads(config.read_text())
    secrets = {settings["client_secret"], settings["refresh_token"], STORE_KEY}
    outputs: list[str] = []

    def collect(result) -> None:
        outputs.append(result.stdout + result.stderr)
        record = read_store(config)
        if record is not None:
            secrets.update(t for t in (record.access_token, record.refresh_token) if t)

    collect(run_cli(config, "auth", "--log-level", "DEBUG", "refresh"))
    collect(run_driver(config, seconds=2.5, interval=0.05, log_level="DEBUG"))
    collect(run_cli(config, "auth", "--log-level", "DEBUG", "status"))
    collect(run_cli(config, "check", "--log-level", "DEBUG"))
    # A rejected token: the error line must not echo it.
    bad = write_config(tmp_path, sandbox, name="bad.json", refresh_token="Gcp7!IAAAA-revoked-x",
                       token_store_path=str(tmp_path / "store2" / "t.fernet"))
    secrets.add("Gcp7!IAAAA-revoked-x")
    collect(run_driver(bad, log_level="DEBUG"))
    collect(login(sandbox, config, "--log-level", "DEBUG"))

    assert any("DEBUG" in out for out in outputs)  # debug logging was on
    files = _written_files(tmp_path)
    assert any(p.name == "tokens.fernet" for p in files)
    texts = {**{f"output {i}": out for i, out in enumerate(outputs)},
             **{str(p): p.read_bytes().decode("latin-1") for p in files}}
    for where, text in texts.items():
        leaked = [s[:6] for s in secrets if s and s in text]
        assert not leaked, f"secret starting {leaked} found in {where}"
        shape = TOKEN_SHAPES.search(text)
        assert shape is None, f"token-shaped {shape.group(0)[:8]!r} in {where}"
