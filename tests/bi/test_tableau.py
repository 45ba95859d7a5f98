"""bi-refresh tableau against a fake Tableau REST API (XML), driven through tableauserverclient."""

from __future__ import annotations

import json

import pytest

from tests.bi.conftest import assert_no_secret, run_bi_refresh
from tests.bi.fake_tableau import API_VERSION

pytestmark = pytest.mark.bi


def test_refreshes_datasources_and_workbooks_by_luid_and_name(tableau):
    fake, env = tableau
    ledger = fake.add("datasource", "Ledger extract", polls=1)
    fake.add("datasource", "Sales extract")
    fake.add("workbook", "Finance dashboard")
    env["BI_REFRESH_TABLEAU_DATASOURCES"] = json.dumps([ledger.id, "Sales extract"])
    env["BI_REFRESH_TABLEAU_WORKBOOKS"] = json.dumps(["Finance dashboard"])

    result = run_bi_refresh("tableau", env=env)

    assert result.returncode == 0, result.output
    assert result.row(f"datasource {ledger.id}")[2] == "ok"
    assert result.row("datasource Sales extract")[2] == "ok"
    assert result.row("workbook Finance dashboard")[2] == "ok"
    assert fake.refreshes == ["Ledger extract", "Sales extract", "Finance dashboard"]
    assert all(job.polls > job.item.polls for job in fake.jobs.values())  # waited to the end
    assert fake.sign_ins == 1
    assert fake.sign_outs == 1
    # signed in with the REST API version the server reported (PATs need 3.6+)
    assert fake.sign_in_paths == [f"/api/{API_VERSION}/auth/signin"]
    assert_no_secret(result)


def test_failed_job_fails_the_run(tableau):
    fake, env = tableau
    fake.add("datasource", "Ledger extract", outcome=1)
    fake.add("workbook", "Finance dashboard")
    env["BI_REFRESH_TABLEAU_DATASOURCES"] = "Ledger extract"
    env["BI_REFRESH_TABLEAU_WORKBOOKS"] = "Finance dashboard"

    result = run_bi_refresh("tableau", env=env)

    assert result.returncode == 1
    row = result.row("datasource Ledger extract")
    assert row[2] == "failed"
    assert "connection refused" in row[4]
    assert result.row("workbook Finance dashboard")[2] == "ok"
    assert fake.sign_outs == 1


def test_job_that_never_completes_times_out_and_still_signs_out(tableau):
    fake, env = tableau
    fake.add("datasource", "Slow extract", outcome=None)
    env["BI_REFRESH_TABLEAU_DATASOURCES"] = "Slow extract"
    env["BI_REFRESH_TIMEOUT_SECONDS"] = "1.5"

    result = run_bi_refresh("tableau", env=env)

    assert result.returncode == 1
    assert result.row("datasource Slow extract")[2] == "timeout"
    assert fake.sign_outs == 1


def test_expired_session_signs_in_again(tableau):
    fake, env = tableau
    fake.add("datasource", "Ledger extract", polls=2)
    env["BI_REFRESH_TABLEAU_DATASOURCES"] = "Ledger extract"
    fake.expire_at_poll = 1  # the session expires while wait_for_job polls

    result = run_bi_refresh("tableau", env=env)

    assert result.returncode == 0, result.output
    assert result.row("datasource Ledger extract")[2] == "ok"
    assert fake.sign_ins == 2
    assert_no_secret(result)


def test_missing_items_are_reported(tableau):
    fake, env = tableau
    fake.add("datasource", "Ledger extract")
    env["BI_REFRESH_TABLEAU_DATASOURCES"] = json.dumps(
        ["Ledger extract", "No such extract", "00000000-0000-4000-8000-000000000000"]
    )

    result = run_bi_refresh("tableau", env=env)

    assert result.returncode == 1
    assert result.row("datasource Ledger extract")[2] == "ok"
    assert result.row("No such extract")[2] == "missing"
    assert result.row("00000000-0000-4000-8000-000000000000")[2] == "missing"


def test_already_queued_refresh_is_skipped_not_failed(tableau):
    fake, env = tableau
    fake.add("workbook", "Finance dashboard", already_queued=True)
    env["BI_REFRESH_TABLEAU_WORKBOOKS"] = "Finance dashboard"

    result = run_bi_refresh("tableau", env=env)

    assert result.returncode == 0, result.output
    assert result.row("workbook Finance dashboard")[2] == "skipped"


def test_wrong_token_secret_fails_sign_in(tableau):
    fake, env = tableau
    fake.add("datasource", "Ledger extract")
    env["BI_REFRESH_TABLEAU_DATASOURCES"] = "Ledger extract"
    env["BI_REFRESH_TABLEAU_TOKEN_SECRET"] = "not-the-secret-Kk1"

    result = run_bi_refresh("tableau", env=env)

    assert result.returncode == 1
    row = result.row("datasource Ledger extract")
    assert row[2] == "failed"
    assert "401001" in row[4]
    assert "not-the-secret-Kk1" not in result.output
    assert fake.refreshes == []


def test_check_signs_in_and_finds_each_item(tableau):
    fake, env = tableau
    fake.add("datasource", "Ledger extract")
    env["BI_REFRESH_TABLEAU_DATASOURCES"] = json.dumps(["Ledger extract", "Gone"])

    result = run_bi_refresh("check", "tableau", env=env)

    assert result.returncode == 1
    assert result.row("credentials")[2] == "ok"
    assert result.row("datasource Ledger extract")[2] == "ok"
    assert result.row("datasource Gone")[2] == "missing"
    assert fake.refreshes == []
    assert fake.sign_outs == 1
