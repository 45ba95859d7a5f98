"""OAuth flows against the real sandbox process: reuse, errors, seed change, login, check."""

from __future__ import annotations

import os
import stat
import subprocess

import requests

from tests.oauth.helpers import (
    advance_clock,
    fresh_refresh_token,
    login,
    read_store,
    reset_stats,
    run_cli,
    run_driver,
    start_of_next_utc_day,
    travel,
    write_config,
)
from tests.support.sandbox import exactonline_executable

LOGIN = "exactonline auth login"


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if LOGIN in line]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_a_run_inside_the_access_token_lifetime_makes_no_token_call(start_sandbox, tmp_path):
    sandbox = start_sandbox()  # Exact's 600 s access tokens
    config = write_config(tmp_path, sandbox)
    first = run_cli(config, "auth", "refresh")
    assert first.returncode == 0, first.stderr
    assert "Refreshed" in first.stdout
    assert sandbox.stats()["token_grants"] == 1
    reset_stats(sandbox)

    run = run_driver(config)
    assert run.returncode == 0, run.stderr
    again = run_cli(config, "auth", "refresh")
    assert again.returncode == 0, again.stderr
    assert "Nothing to do" in again.stdout
    stats = sandbox.stats()
    assert stats["token_calls"] == 0
    assert stats["calls"].get("/api/v1/current/Me") == 1


def test_rejected_seed_gives_one_line_and_non_zero_exit(start_sandbox, tmp_path):
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox, refresh_token="Gcp7!revoked-or-never-issued")
    for result in (run_cli(config, "auth", "refresh"), run_driver(config)):
        assert result.returncode == 1
        line = _one_line_error(result.stderr)
        assert "rejected the refresh token" in line
        assert "Gcp7!revoked" not in result.stderr + result.stdout


def test_refresh_token_used_elsewhere_gives_one_line(start_sandbox, tmp_path):
    sandbox = start_sandbox()
    form = {"grant_type": "refresh_token", "client_id": sandbox.options["client_id"],
            "client_secret": sandbox.options["client_secret"]}
    # Someone else redeemed the seed, then its successor (which ends any grace of the seed).
    stolen = requests.post(f"{sandbox.url}/api/oauth2/token", timeout=30,
                           data={**form, "refresh_token": sandbox.options["refresh_token"]})
    assert stolen.status_code == 200
    advance_clock(sandbox, 600)  # past the 570-second rule
    again = requests.post(f"{sandbox.url}/api/oauth2/token", timeout=30,
                          data={**form, "refresh_token": stolen.json()["refresh_token"]})
    assert again.status_code == 200
    result = run_driver(write_config(tmp_path, sandbox))
    assert result.returncode == 1
    assert "Old refresh token used" in _one_line_error(result.stderr)


def test_expired_refresh_token_gives_one_line(start_sandbox, tmp_path):
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox)
    assert run_cli(config, "auth", "refresh").returncode == 0
    # 31 days later, for the sandbox and the client: access and refresh tokens have both died.
    travel(sandbox, config, 31 * 86400)
    result = run_cli(config, "auth", "refresh")
    assert result.returncode == 1
    assert "expired" in _one_line_error(result.stderr)


def test_a_new_seed_in_the_config_is_used_once(start_sandbox, tmp_path):
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox)
    assert run_cli(config, "auth", "refresh").returncode == 0
    stored = read_store(config)
    # The user authorized elsewhere and pasted the new refresh token into the config.
    pasted = fresh_refresh_token(sandbox)
    config = write_config(tmp_path, sandbox, refresh_token=pasted)
    travel(sandbox, config, 600)
    reset_stats(sandbox)
    assert run_cli(config, "auth", "refresh").returncode == 0
    after = read_store(config)
    assert after.refresh_token not in (stored.refresh_token, pasted)
    # Later runs keep using the store (the seed is not redeemed twice: no rejected call).
    for _ in range(2):
        travel(sandbox, config, 600)
        result = run_cli(config, "auth", "refresh")
        assert result.returncode == 0, result.stderr
    stats = sandbox.stats()
    assert stats["token_calls"] == stats["token_grants"] == 3


def test_auth_login_end_to_end_then_status_and_reuse(start_sandbox, tmp_path):
    """The config keeps a (still valid) seed: after the login it must not be redeemed."""
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox)
    login_run = login(sandbox, config)
    assert login_run.returncode == 0, login_run.stderr
    assert "Current division: 3100001" in login_run.stdout
    assert "Accessible divisions (2)" in login_run.stdout
    assert "3100018" in login_run.stdout
    assert "3999999" not in login_run.stdout
    assert read_store(config).refresh_token

    reset_stats(sandbox)
    status = run_cli(config, "auth", "status")
    assert status.returncode == 0, status.stderr
    assert "Refresh token dies if unused on" in status.stdout
    assert "Current division: 3100001" in status.stdout
    run = run_driver(config)
    assert run.returncode == 0, run.stderr
    assert sandbox.stats()["token_calls"] == 0


def test_token_call_limit_is_not_mistaken_for_a_dead_token(start_sandbox, tmp_path):
    sandbox = start_sandbox(token_calls_per_day=2)
    start_of_next_utc_day(sandbox)  # both calls and the refused third on one UTC day
    config = write_config(tmp_path, sandbox)
    for _ in range(2):
        assert run_cli(config, "auth", "refresh").returncode == 0
        travel(sandbox, config, 600)
    stored = read_store(config)
    limited = run_cli(config, "auth", "refresh")
    assert limited.returncode == 1
    assert "limit reached" in limited.stderr
    assert LOGIN not in limited.stderr
    assert read_store(config) == stored
    advance_clock(sandbox, 86400)  # the next UTC day: the same stored token still works
    assert run_cli(config, "auth", "refresh").returncode == 0


def test_meltano_style_environment_and_default_store_path(start_sandbox, tmp_path):
    """No --config: TAP_EXACTONLINE_* variables, store under $MELTANO_PROJECT_ROOT/.meltano/,
    no token_store_key: a key derived from client_secret and one WARNING."""
    sandbox = start_sandbox()
    settings = sandbox.tap_config(seed=True)
    env = {**os.environ, "MELTANO_PROJECT_ROOT": str(tmp_path)}
    env.update({f"TAP_EXACTONLINE_{k.upper()}": str(v) for k, v in settings.items()})
    result = subprocess.run(
        [exactonline_executable(), "auth", "refresh"], capture_output=True, text=True,
        env=env, cwd=tmp_path, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("token_store_key is not set") == 1
    stores = list((tmp_path / ".meltano" / "exactonline").glob("token-*.fernet"))
    assert len(stores) == 1
    assert stat.S_IMODE(stores[0].stat().st_mode) == 0o600
    assert settings["client_secret"].encode() not in stores[0].read_bytes()


def test_status_of_an_empty_store_says_to_log_in(start_sandbox, tmp_path):
    sandbox = start_sandbox()
    result = run_cli(write_config(tmp_path, sandbox), "auth", "status", "--offline")
    assert result.returncode == 1
    assert LOGIN in result.stderr


def test_check_prints_the_table_and_decodes_403(start_sandbox, tmp_path):
    sandbox = start_sandbox()
    good = write_config(tmp_path, sandbox, divisions=[3100001, 3100018])
    ok = run_cli(good, "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "division 3100018" in ok.stdout
    assert "calls left today" in ok.stdout
    bad = write_config(tmp_path, sandbox, name="bad.json", divisions=[3100001, 3999999])
    failed = run_cli(bad, "check")
    assert failed.returncode == 1
    assert "no access to this division" in failed.stdout
    assert "check failed: division 3999999" in failed.stderr


def test_check_fails_on_an_unreachable_host(tmp_path):
    from tests.support.sandbox import SandboxProcess

    sandbox = SandboxProcess()  # never started: nothing listens on its port
    result = run_cli(write_config(tmp_path, sandbox), "check")
    assert result.returncode == 1
    assert "unreachable" in result.stderr


def test_check_target_adds_the_warehouse_rows(start_sandbox, tmp_path):
    """`exactonline check --target snowflake` appends the loader's preflight to the table;
    an incomplete loader setup fails the check with what to set (no warehouse is contacted)."""
    sandbox = start_sandbox()
    config = write_config(tmp_path, sandbox)
    result = run_cli(config, "check", "--target", "snowflake",
                     env={"TARGET_SNOWFLAKE_ACCOUNT": "xy12345", "TARGET_SNOWFLAKE_USER": "LOADER"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "division 3100001" in result.stdout  # the Exact checks still ran
    assert "snowflake settings" in result.stdout
    assert "check failed: snowflake settings: set warehouse of target-snowflake" in result.stderr
