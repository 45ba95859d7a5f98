"""bi-refresh looker against a fake Looker API 4.0, driven through looker-sdk."""

from __future__ import annotations

import json
import time

import pytest

from tests.bi.conftest import assert_no_secret, run_bi_refresh

pytestmark = pytest.mark.bi


def _configure(fake, env):
    fake.add_datagroup("finance", "exact_etl")
    fake.add_pdt("finance", "gl_balances", polls=2)
    fake.add_plan("42", "Daily P&L")
    env["BI_REFRESH_LOOKER_DATAGROUPS"] = json.dumps(["finance::exact_etl"])
    env["BI_REFRESH_LOOKER_PDTS"] = json.dumps(["finance::gl_balances"])
    env["BI_REFRESH_LOOKER_SCHEDULED_PLANS"] = json.dumps(["42"])


def test_triggers_datagroup_builds_pdt_and_runs_plan(looker):
    fake, env = looker
    _configure(fake, env)
    before = int(time.time())

    result = run_bi_refresh("looker", env=env)

    assert result.returncode == 0, result.output
    assert result.row("datagroup finance::exact_etl")[2] == "ok"
    assert result.row("pdt finance::gl_balances")[2] == "ok"
    assert result.row("plan 42")[2] == "ok"
    assert before <= fake.stale_before["finance::exact_etl"] <= int(time.time())
    assert fake.runs == ["42"]
    (build,) = fake.builds.values()
    assert build[1] == 3  # polled until complete (2 running answers, then complete)
    assert fake.logins == 1
    assert_no_secret(result)


def test_failed_pdt_build_fails_the_run(looker):
    fake, env = looker
    fake.add_pdt("finance", "broken_pdt", outcome="error")
    env["BI_REFRESH_LOOKER_PDTS"] = "finance::broken_pdt"

    result = run_bi_refresh("looker", env=env)

    assert result.returncode == 1
    row = result.row("pdt finance::broken_pdt")
    assert row[2] == "failed"
    assert "relation does not exist" in row[4]


def test_pdt_build_that_never_ends_times_out(looker):
    fake, env = looker
    fake.add_pdt("finance", "slow_pdt", outcome=None)
    env["BI_REFRESH_LOOKER_PDTS"] = "finance::slow_pdt"
    env["BI_REFRESH_TIMEOUT_SECONDS"] = "1"

    result = run_bi_refresh("looker", env=env)

    assert result.returncode == 1
    assert result.row("pdt finance::slow_pdt")[2] == "timeout"


def test_429_is_retried_after_retry_after(looker):
    fake, env = looker
    fake.add_plan("42", "Daily P&L")
    env["BI_REFRESH_LOOKER_SCHEDULED_PLANS"] = "42"
    fake.throttle = 1  # the login goes through; the first API call gets 429
    fake.retry_after = "1"

    result = run_bi_refresh("looker", env=env)

    assert result.returncode == 0, result.output
    assert fake.runs == ["42"]
    assert "Looker throttled" in result.stderr
    assert "waiting 1 s" in result.stderr


def test_token_rejected_by_the_server_logs_in_again(looker):
    fake, env = looker
    fake.add_pdt("finance", "gl_balances", polls=2)
    env["BI_REFRESH_LOOKER_PDTS"] = "finance::gl_balances"
    fake.expire_at_poll = 1  # the server rejects the token while the build is polled

    result = run_bi_refresh("looker", env=env)

    assert result.returncode == 0, result.output
    assert result.row("pdt finance::gl_balances")[2] == "ok"
    assert fake.logins == 2
    assert_no_secret(result)


def test_missing_datagroup_pdt_and_plan(looker):
    fake, env = looker
    fake.add_datagroup("finance", "exact_etl")
    env["BI_REFRESH_LOOKER_DATAGROUPS"] = json.dumps(["finance::exact_etl", "finance::nope"])
    env["BI_REFRESH_LOOKER_PDTS"] = "finance::no_such_view"
    env["BI_REFRESH_LOOKER_SCHEDULED_PLANS"] = "999"

    result = run_bi_refresh("looker", env=env)

    assert result.returncode == 1
    assert result.row("datagroup finance::exact_etl")[2] == "ok"
    assert result.row("datagroup finance::nope")[2] == "missing"
    assert result.row("pdt finance::no_such_view")[2] == "missing"
    assert result.row("plan 999")[2] == "missing"


def test_wrong_client_secret_fails_login(looker):
    fake, env = looker
    _configure(fake, env)
    env["BI_REFRESH_LOOKER_CLIENT_SECRET"] = "bad-looker-secret-Mm3"

    result = run_bi_refresh("looker", env=env)

    assert result.returncode == 1
    assert result.row("plan 42")[2] == "failed"
    assert "login" in result.row("plan 42")[4]
    assert "bad-looker-secret-Mm3" not in result.output
    assert fake.runs == []


def test_check_finds_every_action_target(looker):
    fake, env = looker
    _configure(fake, env)
    env["BI_REFRESH_LOOKER_SCHEDULED_PLANS"] = json.dumps(["42", "7"])

    result = run_bi_refresh("check", "looker", env=env)

    assert result.returncode == 1
    assert result.row("credentials")[2] == "ok"
    assert result.row("datagroup finance::exact_etl")[2] == "ok"
    assert result.row("pdt finance::gl_balances")[2] == "ok"
    assert result.row("plan 42")[2] == "ok"
    assert result.row("plan 7")[2] == "missing"
    assert fake.runs == []
    assert fake.builds == {}
    assert fake.stale_before == {}
